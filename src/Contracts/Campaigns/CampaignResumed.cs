namespace TgFleet.Contracts.Campaigns;

/// <summary>A paused campaign sends again.</summary>
/// <param name="CommandId">The ResumeCampaign command, or the StartCampaign command when the scheduler resumed it.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Reason">What had paused it: <c>OPERATOR</c>, <c>ALL_SENDERS_LIMITED</c> or <c>QUIET_HOURS</c>.</param>
/// <param name="Timestamp">When it resumed.</param>
public sealed record CampaignResumed(Guid CommandId, Guid CampaignId, string Reason, DateTimeOffset Timestamp);
