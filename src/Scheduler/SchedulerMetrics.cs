using System.Diagnostics.Metrics;

namespace TgFleet.Scheduler;

/// <summary>
/// The scheduler's instruments (docs/campaigns.md lists them), one meter per area. Tags come from
/// fixed sets (states, outcomes, job names), never campaign or account ids. The gauges show the
/// last snapshot the lifecycle job read from PostgreSQL (every replica shows the same fleet-wide
/// figures: aggregate them with max, not sum).
/// </summary>
public sealed class SchedulerMetrics
{
    /// <summary>Campaign and delivery gauges, imports.</summary>
    public const string CampaignsMeter = "TgFleet.Scheduler.Campaigns";

    /// <summary>Dispatch and outcomes.</summary>
    public const string DispatchMeter = "TgFleet.Scheduler.Dispatch";

    /// <summary>Quartz job runs, failures, misfires.</summary>
    public const string JobsMeter = "TgFleet.Scheduler.Jobs";

    /// <summary>The cleanup job.</summary>
    public const string CleanupMeter = "TgFleet.Scheduler.Cleanup";

    private readonly Counter<long> _imported;
    private readonly Counter<long> _dispatched;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _jobRuns;
    private readonly Counter<long> _misfires;
    private readonly Histogram<double> _jobDuration;
    private readonly Counter<long> _cleaned;
    private volatile Snapshot _snapshot = new(new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>());

    /// <summary>The instruments on meters of <paramref name="meters"/>.</summary>
    public SchedulerMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var campaigns = meters.Create(CampaignsMeter);
        var dispatch = meters.Create(DispatchMeter);
        var jobs = meters.Create(JobsMeter);
        var cleanup = meters.Create(CleanupMeter);
        campaigns.CreateObservableGauge("tgfleet.campaigns", () => Measure(_snapshot.Campaigns), "{campaign}", "Campaigns by state.");
        campaigns.CreateObservableGauge("tgfleet.campaign.deliveries", () => Measure(_snapshot.Deliveries), "{delivery}",
            "Deliveries of the campaigns not yet cleaned up, by state.");
        campaigns.CreateObservableGauge("tgfleet.campaign.senders", () => Measure(_snapshot.Senders), "{sender}", "Senders of running campaigns, by pacing state.");
        _imported = campaigns.CreateCounter<long>("tgfleet.campaign.recipients.imported", "{recipient}", "Recipients of imported batches, by result.");
        _dispatched = dispatch.CreateCounter<long>("tgfleet.campaign.dispatched", "{delivery}", "SendMessage commands dispatched (first sends and resends).");
        _lag = dispatch.CreateHistogram<double>("tgfleet.campaign.dispatch.lag", "s", "Time from a delivery's due time to its dispatch.");
        _outcomes = dispatch.CreateCounter<long>("tgfleet.campaign.outcomes", "{delivery}", "Outcomes applied to deliveries, by outcome.");
        _jobRuns = jobs.CreateCounter<long>("tgfleet.scheduler.job.runs", "{run}", "Quartz job runs, by job and result.");
        _misfires = jobs.CreateCounter<long>("tgfleet.scheduler.job.misfires", "{misfire}", "Quartz trigger misfires, by job.");
        _jobDuration = jobs.CreateHistogram<double>("tgfleet.scheduler.job.duration", "s", "Quartz job run time, by job.");
        _cleaned = cleanup.CreateCounter<long>("tgfleet.cleanup.deleted", "{row}", "Rows the cleanup job deleted, by kind.");
    }

    /// <summary>Replaces what the gauges show.</summary>
    public void Observe(Snapshot snapshot) => _snapshot = snapshot;

    /// <summary>Counts an imported batch.</summary>
    public void Imported(int accepted, int duplicates, int rejected)
    {
        _imported.Add(accepted, new KeyValuePair<string, object?>("result", "accepted"));
        _imported.Add(duplicates, new KeyValuePair<string, object?>("result", "duplicate"));
        _imported.Add(rejected, new KeyValuePair<string, object?>("result", "rejected"));
    }

    /// <summary>Counts dispatched deliveries and their lag.</summary>
    public void Dispatched(int count, bool resend, IEnumerable<double> lagSeconds)
    {
        ArgumentNullException.ThrowIfNull(lagSeconds);
        _dispatched.Add(count, new KeyValuePair<string, object?>("kind", resend ? "resend" : "first"));
        foreach (var lag in lagSeconds)
        {
            _lag.Record(lag);
        }
    }

    /// <summary>Counts deliveries skipped at dispatch (opted out).</summary>
    public void Skipped(int count) => _outcomes.Add(count, new KeyValuePair<string, object?>("outcome", "skipped"));

    /// <summary>Counts one applied outcome (sent, failed, skipped, unknown, flood_wait, peer_flood, retry).</summary>
    public void Outcome(string outcome) => _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts a job run.</summary>
    public void JobRan(string job, bool succeeded, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("job", job);
        _jobRuns.Add(1, tag, new KeyValuePair<string, object?>("result", succeeded ? "succeeded" : "failed"));
        _jobDuration.Record(duration.TotalSeconds, tag);
    }

    /// <summary>Counts a misfire.</summary>
    public void Misfired(string job) => _misfires.Add(1, new KeyValuePair<string, object?>("job", job));

    /// <summary>Counts deleted rows of a kind (session, journal, delivery, worker).</summary>
    public void Cleaned(string kind, long count) => _cleaned.Add(count, new KeyValuePair<string, object?>("kind", kind));

    private static IEnumerable<Measurement<long>> Measure(IReadOnlyDictionary<string, long> values) =>
        values.Select(v => new Measurement<long>(v.Value, new KeyValuePair<string, object?>("state", v.Key)));

    /// <summary>What the gauges show: counts by state.</summary>
    public sealed record Snapshot(IReadOnlyDictionary<string, long> Campaigns, IReadOnlyDictionary<string, long> Deliveries, IReadOnlyDictionary<string, long> Senders);
}
