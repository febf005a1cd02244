using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>A campaign as stored in <c>campaigns</c> (0010_campaigns.sql); times are UTC.</summary>
public sealed class CampaignRow
{
    /// <summary>The columns, aliased to the properties.</summary>
    public const string Columns = """
        campaign_id AS CampaignId, start_command_id AS StartCommandId, name AS Name, state AS State, paused_reason AS PausedReason,
        end_reason AS EndReason, template AS Template, format AS Format, silent AS Silent, min_interval_ms AS MinIntervalMs, jitter_ms AS JitterMs,
        daily_cap AS DailyCap, to_char(quiet_start, 'HH24:MI') AS QuietStart, to_char(quiet_end, 'HH24:MI') AS QuietEnd, time_zone AS TimeZone, start_at AS StartAt, deadline AS Deadline,
        max_attempts AS MaxAttempts, total AS Total, pending AS Pending, dispatched AS Dispatched, sent AS Sent, failed AS Failed, skipped AS Skipped,
        unknown AS Unknown, unsent AS Unsent, last_batch_at AS LastBatchAt, progress_sent AS ProgressSent, progress_at AS ProgressAt,
        progress_ended AS ProgressEnded, rate AS Rate, traceparent AS TraceParent
        """;

    public Guid CampaignId { get; init; }

    public Guid StartCommandId { get; init; }

    public string Name { get; init; } = string.Empty;

    public string State { get; init; } = string.Empty;

    /// <summary>The W3C traceparent of its StartCampaign, if that was traced.</summary>
    public string? TraceParent { get; init; }

    public string? PausedReason { get; init; }

    public string? EndReason { get; init; }

    public string Template { get; init; } = string.Empty;

    public int Format { get; init; }

    public bool Silent { get; init; }

    public int MinIntervalMs { get; init; }

    public int JitterMs { get; init; }

    public int DailyCap { get; init; }

    public string? QuietStart { get; init; }

    public string? QuietEnd { get; init; }

    public string? TimeZone { get; init; }

    public DateTime StartAt { get; init; }

    public DateTime? Deadline { get; init; }

    public int MaxAttempts { get; init; }

    public long Total { get; init; }

    public long Pending { get; init; }

    public long Dispatched { get; init; }

    public long Sent { get; init; }

    public long Failed { get; init; }

    public long Skipped { get; init; }

    public long Unknown { get; init; }

    public long Unsent { get; init; }

    public DateTime? LastBatchAt { get; init; }

    public long ProgressSent { get; init; }

    public DateTime? ProgressAt { get; init; }

    public long ProgressEnded { get; init; }

    public double Rate { get; init; }

    /// <summary>Deliveries that have their final state.</summary>
    public long Ended => Sent + Failed + Skipped + Unknown + Unsent;

    /// <summary>Whether it ended (completed or cancelled).</summary>
    public bool HasEnded => State is CampaignStates.Completed or CampaignStates.Cancelled;

    /// <summary>The counts as the contracts give them.</summary>
    public DeliveryCounts Counts => new(Total, Pending, Dispatched, Sent, Failed, Skipped, Unknown, Unsent);

    /// <summary>The contract's state.</summary>
    public CampaignState ContractState => CampaignStates.ToContract(State);

    /// <summary>The pacing of this campaign.</summary>
    public Pacing Pacing => new(MinIntervalMs, JitterMs, DailyCap,
        CampaignValidation.ParseTime(QuietStart) is { } s && CampaignValidation.ParseTime(QuietEnd) is { } e ? (s, e) : null,
        TimeZone is null ? TimeZoneInfo.Utc : CampaignValidation.FindZone(TimeZone) ?? TimeZoneInfo.Utc,
        Utc(StartAt), Deadline is { } d ? Utc(d) : null);

    /// <summary>How its messages are formatted.</summary>
    public TextFormat TextFormat => (TextFormat)Format;

    /// <summary>A timestamptz read by Npgsql (a UTC DateTime) as a DateTimeOffset.</summary>
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}

/// <summary>The values of <c>campaigns.state</c>.</summary>
public static class CampaignStates
{
    public const string Scheduled = "scheduled";
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    /// <summary>The contract's value of <paramref name="state"/>.</summary>
    public static CampaignState ToContract(string state) => state switch
    {
        Scheduled => CampaignState.Scheduled,
        Running => CampaignState.Running,
        Paused => CampaignState.Paused,
        Completed => CampaignState.Completed,
        _ => CampaignState.Cancelled,
    };
}

/// <summary>Why a campaign paused, resumed or ended (the contracts' reasons).</summary>
public static class CampaignReasons
{
    public const string Operator = "OPERATOR";
    public const string AllSendersLimited = "ALL_SENDERS_LIMITED";
    public const string QuietHours = "QUIET_HOURS";
    public const string AllDelivered = "ALL_DELIVERED";
    public const string DeadlinePassed = "DEADLINE_PASSED";
    public const string Cancelled = "CANCELLED";
}
