namespace TgFleet.Contracts.Campaigns;

/// <summary>A campaign ended: every delivery has its final state.</summary>
/// <param name="CommandId">The CancelCampaign command, or the StartCampaign command.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="State"><see cref="CampaignState.Completed"/> or <see cref="CampaignState.Cancelled"/>.</param>
/// <param name="Reason"><c>ALL_DELIVERED</c>, <c>DEADLINE_PASSED</c> or <c>CANCELLED</c>.</param>
/// <param name="Deliveries">The final counts.</param>
/// <param name="Timestamp">When it ended.</param>
public sealed record CampaignCompleted(Guid CommandId, Guid CampaignId, CampaignState State, string Reason, DeliveryCounts Deliveries, DateTimeOffset Timestamp);
