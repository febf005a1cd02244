using Quartz;
using TgFleet.Scheduler.Campaigns;

namespace TgFleet.Scheduler.Jobs;

/// <summary>Progress, completion, deadline, quiet hours and automatic pauses (<see cref="CampaignLifecycle.AdvanceAsync"/>).</summary>
[DisallowConcurrentExecution]
public sealed class AdvanceCampaignsJob(CampaignLifecycle lifecycle) : IJob
{
    /// <inheritdoc />
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) => new(lifecycle.AdvanceAsync(cancellationToken));
}
