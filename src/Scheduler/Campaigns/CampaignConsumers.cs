using MassTransit;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>Consumes StartCampaign.</summary>
public sealed class StartCampaignConsumer(CampaignCommands commands) : IConsumer<StartCampaign>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<StartCampaign> context) => commands.StartAsync(context);
}

/// <summary>Consumes AddCampaignRecipients.</summary>
public sealed class AddCampaignRecipientsConsumer(CampaignCommands commands) : IConsumer<AddCampaignRecipients>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<AddCampaignRecipients> context) => commands.AddRecipientsAsync(context);
}

/// <summary>Consumes PauseCampaign.</summary>
public sealed class PauseCampaignConsumer(CampaignCommands commands) : IConsumer<PauseCampaign>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<PauseCampaign> context) => commands.PauseAsync(context);
}

/// <summary>Consumes ResumeCampaign.</summary>
public sealed class ResumeCampaignConsumer(CampaignCommands commands) : IConsumer<ResumeCampaign>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ResumeCampaign> context) => commands.ResumeAsync(context);
}

/// <summary>Consumes CancelCampaign.</summary>
public sealed class CancelCampaignConsumer(CampaignCommands commands) : IConsumer<CancelCampaign>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<CancelCampaign> context) => commands.CancelAsync(context);
}

/// <summary>Answers GetCampaign.</summary>
public sealed class GetCampaignConsumer(CampaignCommands commands) : IConsumer<GetCampaign>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<GetCampaign> context) => commands.GetAsync(context);
}
