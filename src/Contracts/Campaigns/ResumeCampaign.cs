namespace TgFleet.Contracts.Campaigns;

/// <summary>Resumes a campaign paused by <see cref="PauseCampaign"/>. Answered by <see cref="CampaignResumed"/> or <see cref="CampaignRejected"/>.</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="CampaignId">The campaign.</param>
public sealed record ResumeCampaign(Guid CommandId, Guid CampaignId);
