namespace TgFleet.Contracts.Campaigns;

/// <summary>How far a running campaign got; published at most about once a second per campaign while deliveries end.</summary>
/// <param name="CommandId">The StartCampaign command.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Sent">Deliveries sent so far.</param>
/// <param name="Failed">Deliveries failed for good (unknown outcomes included).</param>
/// <param name="Skipped">Deliveries skipped (opted out).</param>
/// <param name="Pending">Deliveries not ended yet (pending or dispatched).</param>
/// <param name="Rate">Messages sent per second over the last minute.</param>
/// <param name="Timestamp">When the counts were read.</param>
public sealed record CampaignProgress(Guid CommandId, Guid CampaignId, long Sent, long Failed, long Skipped, long Pending, double Rate, DateTimeOffset Timestamp);
