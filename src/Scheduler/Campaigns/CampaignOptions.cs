using System.ComponentModel.DataAnnotations;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>How the scheduler runs campaigns (section <c>Campaigns</c>; docs/campaigns.md).</summary>
public sealed class CampaignOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Campaigns";

    /// <summary>The fleet's shard count (the workers' <c>Shards:Count</c>): where SendMessage goes.</summary>
    [Range(1, 4096)]
    public int ShardCount { get; set; } = 64;

    /// <summary>How often the dispatch job runs; it claims what is due each time.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one dispatch run keeps going while only full in-flight windows hold it back.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:50")]
    public TimeSpan DispatchBudget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries claimed per statement.</summary>
    [Range(1, 100_000)]
    public int DispatchBatch { get; set; } = 1000;

    /// <summary>Deliveries of one sender dispatched and not answered yet, at most.</summary>
    [Range(1, 100_000)]
    public int MaxInFlightPerSender { get; set; } = 500;

    /// <summary>A dispatched delivery with no outcome after this long is sent again under the same command id.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a sender stays out of a campaign after PEER_FLOOD.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan PeerFloodCooldown { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Delay before a retry of a retryable failure that named no time.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the lifecycle job runs (progress, completion, deadline, quiet hours, auto pause and resume).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan AdvanceInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A campaign with every delivery ended completes only when no recipient batch came for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan CompletionGrace { get; set; } = TimeSpan.FromSeconds(10);
}
