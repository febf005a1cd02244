using TgFleet.Contracts.Campaigns;

namespace TgFleet.Contracts.Addressing;

/// <summary>
/// Where campaign commands go: one durable quorum queue, <c>tgfleet.campaigns</c>, consumed by
/// every scheduler replica (any of them handles a command). Its events are published like the
/// workers' (one fanout exchange per event type).
/// </summary>
public static class CampaignAddressing
{
    /// <summary>The name of the campaigns queue and of the exchange bound to it.</summary>
    public const string QueueName = "tgfleet.campaigns";

    /// <summary>
    /// The address to send campaign commands and <see cref="GetCampaign"/> requests to. An exchange,
    /// not <c>queue:</c>: a <c>queue:</c> send would declare a classic queue, which RabbitMQ refuses
    /// once the quorum queue exists (inequivalent x-queue-type).
    /// </summary>
    public static Uri Address { get; } = new("exchange:" + QueueName);

    /// <summary>Every message type that goes to <see cref="Address"/>: the one list schedulers consume and documents describe.</summary>
    public static IReadOnlyList<Type> Types { get; } =
    [
        typeof(StartCampaign), typeof(AddCampaignRecipients), typeof(PauseCampaign), typeof(ResumeCampaign), typeof(CancelCampaign), typeof(GetCampaign),
    ];

    /// <summary>Every event schedulers publish about campaigns.</summary>
    public static IReadOnlyList<Type> Events { get; } =
    [
        typeof(CampaignStarted), typeof(CampaignRecipientsAdded), typeof(CampaignProgress), typeof(CampaignPaused), typeof(CampaignResumed),
        typeof(CampaignCompleted), typeof(CampaignRejected),
    ];

    /// <summary>The answer to <see cref="GetCampaign"/>.</summary>
    public static Type Response { get; } = typeof(CampaignStatus);
}
