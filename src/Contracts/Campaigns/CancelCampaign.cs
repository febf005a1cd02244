namespace TgFleet.Contracts.Campaigns;

/// <summary>Cancels a campaign for good: nothing more is sent, unsent deliveries end as <c>CANCELLED</c>. Answered by <see cref="CampaignCompleted"/> or <see cref="CampaignRejected"/>.</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="CampaignId">The campaign.</param>
public sealed record CancelCampaign(Guid CommandId, Guid CampaignId);
