using System.ComponentModel.DataAnnotations;

namespace TgFleet.Scheduler.Cleanup;

/// <summary>What the cleanup job deletes and when (section <c>Cleanup</c>; docs/campaigns.md).</summary>
public sealed class CleanupOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Cleanup";

    /// <summary>How often it runs.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Finished idempotency-journal rows older than this are deleted (a redelivery older than this is not recognised).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan JournalRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Deliveries of campaigns that ended longer ago than this are deleted (the campaign and its counts stay).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan DeliveryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Worker registrations silent for longer than this, holding no live lease, are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan WorkerRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Rows deleted per statement (each kind is deleted in such batches).</summary>
    [Range(100, 1_000_000)]
    public int BatchSize { get; set; } = 10_000;
}
