namespace TgFleet.Contracts.Campaigns;

/// <summary>A campaign stopped sending for now.</summary>
/// <param name="CommandId">The PauseCampaign command, or the StartCampaign command when the scheduler paused it.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Reason"><c>OPERATOR</c> (PauseCampaign; until ResumeCampaign), <c>ALL_SENDERS_LIMITED</c> (every sender out after PEER_FLOOD; resumes by itself when one is back) or <c>QUIET_HOURS</c> (resumes when they end).</param>
/// <param name="Timestamp">When it paused.</param>
public sealed record CampaignPaused(Guid CommandId, Guid CampaignId, string Reason, DateTimeOffset Timestamp)
{
    /// <summary>When it is expected to resume by itself, if it will.</summary>
    public DateTimeOffset? ResumesAt { get; init; }
}
