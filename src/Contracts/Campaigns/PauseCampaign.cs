namespace TgFleet.Contracts.Campaigns;

/// <summary>Pauses a campaign until <see cref="ResumeCampaign"/>: nothing more is sent, what is in flight completes. Answered by <see cref="CampaignPaused"/> (reason <c>OPERATOR</c>) or <see cref="CampaignRejected"/>.</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="CampaignId">The campaign.</param>
public sealed record PauseCampaign(Guid CommandId, Guid CampaignId);
