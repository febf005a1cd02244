using System.Diagnostics.Metrics;

namespace TgFleet.Worker.Sessions;

/// <summary>
/// Meter <c>TgFleet.Worker.Sessions</c>: checkpoints written (or refused as stale, or failed) and
/// sessions restored when a shard starts (or not: a key, archive or TDLib failure).
/// </summary>
public sealed class SessionMetrics
{
    private readonly Counter<long> _checkpoints;
    private readonly Counter<long> _restores;

    /// <summary>Instruments on a meter of <paramref name="meters"/>, or on a meter of their own without one.</summary>
    public SessionMetrics(IMeterFactory? meters)
    {
        var meter = meters?.Create("TgFleet.Worker.Sessions") ?? new Meter("TgFleet.Worker.Sessions");
        _checkpoints = meter.CreateCounter<long>("tgfleet.session.checkpoints", "{checkpoint}", "Session checkpoints, by outcome (written, stale: refused by the lease epoch, failed).");
        _restores = meter.CreateCounter<long>("tgfleet.session.restores", "{restore}", "Stored sessions restored when their shard started, by outcome (ok, failed).");
        // Every outcome present from the start at 0, so that ratios and alerts have their series.
        foreach (var outcome in new[] { "written", "stale", "failed" })
        {
            _checkpoints.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        foreach (var outcome in new[] { "ok", "failed" })
        {
            _restores.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    /// <summary>Counts a checkpoint: written, stale or failed.</summary>
    public void Checkpoint(string outcome) => _checkpoints.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts a restore: ok or failed.</summary>
    public void Restore(bool ok) => _restores.Add(1, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));
}
