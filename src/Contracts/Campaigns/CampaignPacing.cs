namespace TgFleet.Contracts.Campaigns;

/// <summary>How fast and when a campaign's senders may send.</summary>
/// <param name="MinimumIntervalMs">Milliseconds at least between two sends of one sender (0 to 86,400,000), before jitter.</param>
/// <param name="DailyCapPerSender">Sends per sender per day at most (1 to 1,000,000); the day is that of the quiet hours' time zone, else UTC.</param>
public sealed record CampaignPacing(int MinimumIntervalMs, int DailyCapPerSender)
{
    /// <summary>Up to this many milliseconds added at random to each interval (0 to the interval's length, or to 60,000 when it is 0).</summary>
    public int JitterMs { get; init; }

    /// <summary>Local hours in which nothing is sent.</summary>
    public QuietHours? QuietHours { get; init; }

    /// <summary>Nothing is sent before this instant (default: at once).</summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>Nothing is sent after this instant; deliveries still unsent then end as <c>DEADLINE_PASSED</c>.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Attempts per recipient for retryable failures (1 to 10; default 3). FLOOD_WAIT reschedules as a new attempt.</summary>
    public int MaxAttempts { get; init; } = 3;
}
