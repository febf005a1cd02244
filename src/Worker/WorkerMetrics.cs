using System.Diagnostics.Metrics;

namespace TgFleet.Worker;

/// <summary>
/// The worker's command and sending instruments (meter <c>TgFleet.Worker</c>, OpenTelemetry
/// naming and units). Label values are bounded sets (command type, outcome, reason); never account
/// ids or phone numbers.
/// </summary>
public sealed class WorkerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "TgFleet.Worker";

    private readonly Counter<long> _commands;
    private readonly Histogram<double> _commandDuration;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _floodWaits;
    private readonly Counter<long> _outcomeUnknown;
    private readonly Counter<long> _incoming;
    private readonly Histogram<int> _journalBatch;
    private readonly Histogram<double> _sendDuration;
    private readonly Meter _meter;

    /// <summary>Instruments on a meter of <paramref name="meters"/>.</summary>
    public WorkerMetrics(IMeterFactory meters)
        : this(meters.Create(MeterName))
    {
    }

    private WorkerMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _meter = meter;
        _commands = meter.CreateCounter<long>("tgfleet.commands", "{command}", "Commands handled, by command type and outcome.");
        _commandDuration = meter.CreateHistogram<double>("tgfleet.command.duration", "s", "Time from a command's delivery to its outcome, by command type.");
        _sent = meter.CreateCounter<long>("tgfleet.messages.sent", "{message}", "Messages Telegram confirmed.");
        _failed = meter.CreateCounter<long>("tgfleet.messages.failed", "{message}", "Messages not delivered, by reason.");
        _floodWaits = meter.CreateCounter<long>("tgfleet.flood_waits", "{wait}", "FLOOD_WAIT answers that paused an account.");
        _outcomeUnknown = meter.CreateCounter<long>("tgfleet.messages.outcome_unknown", "{message}", "Sends whose outcome a crash left unknown (reported, never retried).");
        _incoming = meter.CreateCounter<long>("tgfleet.messages.received", "{message}", "Incoming messages published.");
        _journalBatch = meter.CreateHistogram<int>("tgfleet.journal.batch.rows", "{row}", "Journal rows written per database statement, by statement (start, finish).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        _sendDuration = meter.CreateHistogram<double>("tgfleet.send.duration", "s", "Time from a SendMessage's delivery to its final outcome, by outcome (sent, failed, unknown).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        // Present from the start at 0, so that rates and alerts on them have a series before the first event.
        _floodWaits.Add(0);
        _outcomeUnknown.Add(0);
        _incoming.Add(0);
    }

    /// <summary>Reports the number of TDLib clients alive as <c>tgfleet.clients.alive</c>.</summary>
    public void TrackClients(Func<int> alive) =>
        _meter.CreateObservableGauge("tgfleet.clients.alive", alive, "{client}", "TDLib clients (accounts) running on this worker.");

    /// <summary>Reports this worker's accounts by status as <c>tgfleet.accounts</c> {status}.</summary>
    public void TrackAccounts(Func<IEnumerable<Measurement<int>>> byStatus) =>
        _meter.CreateObservableGauge("tgfleet.accounts", byStatus, "{account}", "Accounts running on this worker, by status.");

    /// <summary>Records a SendMessage's final outcome (<paramref name="outcome"/>: sent, failed or unknown) and the time since its delivery.</summary>
    public void SendOutcome(string outcome, TimeSpan sinceDelivery) =>
        _sendDuration.Record(sinceDelivery.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts a handled command.</summary>
    public void Command(string command, string outcome, TimeSpan duration)
    {
        _commands.Add(1, new KeyValuePair<string, object?>("command", command), new KeyValuePair<string, object?>("outcome", outcome));
        _commandDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("command", command));
    }

    /// <summary>Counts a confirmed message.</summary>
    public void Sent() => _sent.Add(1);

    /// <summary>Counts an undelivered message by its (machine-readable, bounded) reason.</summary>
    public void Failed(string reason) => _failed.Add(1, new KeyValuePair<string, object?>("reason", Bounded(reason)));

    /// <summary>Counts a FLOOD_WAIT.</summary>
    public void FloodWait() => _floodWaits.Add(1);

    /// <summary>Counts an unknown outcome.</summary>
    public void OutcomeUnknown() => _outcomeUnknown.Add(1);

    /// <summary>Records how many journal rows one statement carried (<paramref name="statement"/>: start or finish).</summary>
    public void JournalBatch(string statement, int rows) => _journalBatch.Record(rows, new KeyValuePair<string, object?>("statement", statement));

    /// <summary>Counts an incoming message.</summary>
    public void Received() => _incoming.Add(1);

    /// <summary>FLOOD_WAIT_37 and FLOOD_WAIT_38 are one label value.</summary>
    private static string Bounded(string reason) =>
        Accounts.TelegramReasons.IsFloodWait(reason) ? Accounts.TelegramReasons.FloodWait
        : reason.StartsWith("TDLIB_ERROR_", StringComparison.Ordinal) || reason.Length <= 64 ? reason : "OTHER";
}
