namespace TgFleet.Contracts.Campaigns;

/// <summary>One sender of a campaign and its pacing state.</summary>
/// <param name="AccountId">The sending account.</param>
/// <param name="State"><c>READY</c>, <c>WAITING</c> (interval), <c>FLOOD_WAIT</c>, <c>LIMITED</c> (PEER_FLOOD cool-down), <c>CAPPED</c> (daily cap reached) or <c>OFFLINE</c>.</param>
/// <param name="SentToday">Messages it sent in this campaign today (the cap's day).</param>
public sealed record CampaignSender(string AccountId, string State, int SentToday)
{
    /// <summary>When it may send next, if later than now.</summary>
    public DateTimeOffset? NextSendAt { get; init; }
}
