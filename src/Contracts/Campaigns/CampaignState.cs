namespace TgFleet.Contracts.Campaigns;

/// <summary>Where a campaign is in its life.</summary>
public enum CampaignState
{
    /// <summary>Started, waiting for its start time.</summary>
    Scheduled = 1,

    /// <summary>Sending.</summary>
    Running = 2,

    /// <summary>Not sending for now (by an operator, all senders limited, or quiet hours).</summary>
    Paused = 3,

    /// <summary>Every delivery ended (sent, failed, skipped, unknown or past the deadline).</summary>
    Completed = 4,

    /// <summary>Cancelled by an operator.</summary>
    Cancelled = 5,
}
