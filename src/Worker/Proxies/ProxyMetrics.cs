using System.Diagnostics.Metrics;

namespace TgFleet.Worker.Proxies;

/// <summary>
/// Meter <c>TgFleet.Worker.Proxies</c>: the proxies of the last health round by health (counts,
/// never addresses), and the accounts moved off an unreachable proxy.
/// </summary>
internal sealed class ProxyMetrics
{
    private readonly Counter<long> _failovers;
    private (int Healthy, int Unreachable) _lastRound;

    public ProxyMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create("TgFleet.Worker.Proxies");
        meter.CreateObservableGauge("tgfleet.proxies", Observe, "{proxy}", "Proxies of the pool and of this worker's accounts, by health at the last check.");
        _failovers = meter.CreateCounter<long>("tgfleet.proxy.failovers", "{failover}", "Accounts moved off an unreachable proxy to a healthy one of the pool.");
        _failovers.Add(0);
    }

    /// <summary>A health round tested this many proxies of each kind.</summary>
    public void Checked(int healthy, int unreachable) => _lastRound = (healthy, unreachable);

    /// <summary>An account moved to another proxy.</summary>
    public void FailedOver() => _failovers.Add(1);

    private Measurement<int>[] Observe()
    {
        var (healthy, unreachable) = _lastRound;
        return
        [
            new(healthy, new KeyValuePair<string, object?>("health", "healthy")),
            new(unreachable, new KeyValuePair<string, object?>("health", "unreachable")),
        ];
    }
}
