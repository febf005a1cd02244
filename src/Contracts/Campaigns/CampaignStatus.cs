namespace TgFleet.Contracts.Campaigns;

/// <summary>The answer to <see cref="GetCampaign"/>: how a campaign stands now.</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Name">Its name.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Deliveries">Its deliveries by state.</param>
/// <param name="Failures">Failed deliveries by reason (e.g. <c>USER_PRIVACY_RESTRICTED</c>), skipped ones by theirs (<c>RECIPIENT_OPTED_OUT</c>).</param>
/// <param name="Senders">Its senders and their pacing state.</param>
/// <param name="Rate">Messages sent per second over the last minute.</param>
/// <param name="Timestamp">When this was read.</param>
public sealed record CampaignStatus(Guid CampaignId, string Name, CampaignState State, DeliveryCounts Deliveries,
    IReadOnlyDictionary<string, long> Failures, IReadOnlyList<CampaignSender> Senders, double Rate, DateTimeOffset Timestamp)
{
    /// <summary>With <see cref="CampaignState.Paused"/>: <c>OPERATOR</c>, <c>ALL_SENDERS_LIMITED</c> or <c>QUIET_HOURS</c>.</summary>
    public string? PausedReason { get; init; }

    /// <summary>When the rest is expected to be sent, at the current rate (none when nothing is being sent).</summary>
    public DateTimeOffset? EstimatedCompletion { get; init; }

    /// <summary>The do-not-send-after deadline, if any.</summary>
    public DateTimeOffset? Deadline { get; init; }
}
