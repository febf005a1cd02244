using System.Diagnostics.Metrics;

namespace TgFleet.Simulator;

/// <summary>
/// Meter <c>TgFleet.Simulator</c>, served on the simulator's <c>/metrics</c>, so that a dashboard
/// shows Telegram's side beside the fleet's: sends by outcome, logins, and the faults it played.
/// Labels are error names from a fixed set, never phones or user ids.
/// </summary>
public sealed class SimulatorMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "TgFleet.Simulator";

    private readonly Counter<long> _sends;
    private readonly Counter<long> _logins;
    private readonly Counter<long> _faults;

    /// <summary>Instruments on a meter of <paramref name="meters"/>.</summary>
    public SimulatorMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _sends = meter.CreateCounter<long>("tgfleet.simulator.sends", "{message}", "sendMessage requests the simulator answered, by outcome (delivered or the error's name).");
        _logins = meter.CreateCounter<long>("tgfleet.simulator.logins", "{login}", "Sessions the simulator created (successful sign-ins).");
        _faults = meter.CreateCounter<long>("tgfleet.simulator.faults", "{fault}", "Faults the simulator played, by kind (FLOOD_WAIT, PEER_FLOOD, AUTH_KEY_DUPLICATED, USER_DEACTIVATED_BAN).");
        _sends.Add(0, new KeyValuePair<string, object?>("outcome", "delivered"));
        _logins.Add(0);
        foreach (var kind in new[] { "FLOOD_WAIT", "PEER_FLOOD", "AUTH_KEY_DUPLICATED", "USER_DEACTIVATED_BAN" })
        {
            _faults.Add(0, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    /// <summary>Counts a send by its error (null: delivered); FLOOD_WAIT_N and the played faults are counted as faults too.</summary>
    public void Send(CloudError? error)
    {
        var outcome = error is null ? "delivered" : Name(error);
        _sends.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome is "FLOOD_WAIT" or "PEER_FLOOD" or "USER_DEACTIVATED_BAN")
        {
            Fault(outcome);
        }
    }

    /// <summary>Counts a created session.</summary>
    public void Login() => _logins.Add(1);

    /// <summary>Counts a played fault of <paramref name="kind"/>.</summary>
    public void Fault(string kind) => _faults.Add(1, new KeyValuePair<string, object?>("kind", kind));

    private static string Name(CloudError error) =>
        error.Message.StartsWith("FLOOD_WAIT_", StringComparison.Ordinal) ? "FLOOD_WAIT" : error.Message;
}
