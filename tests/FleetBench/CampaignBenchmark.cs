using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using MassTransit;
using Npgsql;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.DevServers;
using System.Net.Http.Json;
using TgFleet.Simulator;

namespace TgFleet.FleetBench;

/// <summary>
/// ./build.sh bench campaign: the scheduler process with one worker on the simulator. Import: N
/// recipients (default 1,000,000) as N / 10,000 AddCampaignRecipients batches over the bus until
/// the last CampaignRecipientsAdded, the scheduler's RSS after the first 100,000 and at the end.
/// Dispatch: with pacing lifted, campaign deliveries completed per second (D recipients, default
/// 100,000) ÷ direct SendMessage completions/s through the same worker from the same senders with
/// as many in flight, measured in the same run. Ends with
/// <c>campaign import_s=T recipients=N dispatch_ratio=D scheduler_rss_mb=M</c>.
/// </summary>
internal static class CampaignBenchmark
{
    private const string Fleet = "campaign";
    private const int Batch = 10_000;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!args.Contains(Isolation.InsideFlag) && !Isolation.LoopbackOnly)
        {
            return await Isolation.RunInNamespaceAsync(args, "campaign");
        }

        var recipients = Option(args, "--recipients", 1_000_000);
        var deliveries = Option(args, "--deliveries", 100_000);
        var senders = Option(args, "--senders", 10);
        var window = Option(args, "--in-flight", 50);
        var direct = Option(args, "--direct", 20_000);
        Console.WriteLine($"campaign: import {recipients} recipients in batches of {Batch}; dispatch {deliveries} deliveries from {senders} senders ({window} in flight each) against {direct} direct SendMessage; {Environment.ProcessorCount} cores");
        var run = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(45));
        var ct = stop.Token;
        using var sandbox = Sandbox.Create(Path.Combine(Path.GetTempPath(), "tgfleet-campaignbench"), "run");
        await using var servers = await FleetServers.StartAsync(sandbox, ct);
        await servers.CreateFleetAsync(Fleet, ct);
        await using var simulator = FleetChild.Start("simulator", Proc.Dll("src/Simulator", "TgFleet.Simulator"), new Dictionary<string, string>(), sandbox,
            "--urls", FleetChild.UrlsArgument);
        await simulator.WaitUntilAsync("health", TimeSpan.FromMinutes(1), ct);
        using var http = new HttpClient { BaseAddress = simulator.BaseUri };
        var seeded = await SimulatorPhase.SeedAsync(http, new BulkSeed(senders, "4470"), ct);
        var users = deliveries > 0 ? await SimulatorPhase.SeedAsync(http, new BulkSeed(deliveries, "4471", "campaign_user_", Accounts: false), ct) : [];
        Console.WriteLine($"simulator: seeded {seeded.Length} senders and {users.Length} recipients");

        await using var worker = await servers.StartWorkerAsync(Fleet, servers.WorkerEnvironment(Fleet, "Simulator", new Uri($"ws://{simulator.BaseUri.Authority}/backend")), ct);
        var schedulerSettings = new Dictionary<string, string>
        {
            ["Database__ConnectionString"] = servers.Postgres.ConnectionString(Fleet),
            ["RabbitMq__Uri"] = servers.RabbitMq.AmqpUri(Fleet).ToString(),
            ["Campaigns__MaxInFlightPerSender"] = window.ToString(CultureInfo.InvariantCulture),
            ["Campaigns__CompletionGrace"] = "00:00:00",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        // --scheduler-setting Key=Value (repeatable): to try a change of the scheduler's configuration.
        for (var i = Array.IndexOf(args, "--scheduler-setting"); i >= 0 && i + 1 < args.Length; i = Array.IndexOf(args, "--scheduler-setting", i + 2))
        {
            var at = args[i + 1].IndexOf('=', StringComparison.Ordinal);
            schedulerSettings[args[i + 1][..at]] = args[i + 1][(at + 1)..];
            Console.WriteLine($"scheduler setting: {args[i + 1]}");
        }

        await using var scheduler = FleetChild.Start("scheduler", Proc.Dll("src/Scheduler", "TgFleet.Scheduler"), schedulerSettings, sandbox);
        await scheduler.WaitUntilAsync("health/ready", TimeSpan.FromMinutes(3), ct);
        await using var bus = await BenchBus.StartAsync(servers.RabbitMq.AmqpUri(Fleet), ct);
        var events = new CampaignEvents();
        var listener = bus.Bus.ConnectReceiveEndpoint("campaignbench-events", e =>
        {
            e.Handler<CampaignStarted>(c => events.Add(c.Message));
            e.Handler<CampaignRecipientsAdded>(c => events.Add(c.Message));
            e.Handler<CampaignCompleted>(c => events.Add(c.Message));
            e.Handler<CampaignRejected>(c => events.Add(c.Message));
        });
        await listener.Ready.WaitAsync(ct);

        var ids = seeded.Select((_, i) => $"acct-{i:000000}").ToArray();
        foreach (var (id, created) in ids.Zip(seeded))
        {
            await SimulatorPhase.LogInAsync(bus, http, id, SimulatorPhase.Phone(created), ShardAddressing.DefaultShardCount, ct);
        }

        Console.WriteLine($"logins: {ids.Length} senders online");
        var campaigns = await bus.Bus.GetSendEndpoint(CampaignAddressing.Address);

        // Import: a campaign that starts tomorrow (nothing is dispatched meanwhile), cancelled afterwards.
        var importId = Guid.NewGuid();
        await campaigns.Send(new StartCampaign(Guid.NewGuid(), importId, "import", ids, new MessageTemplate("hello {{name}}"),
            new CampaignPacing(1000, 100) { StartAt = TimeProvider.System.GetUtcNow().AddDays(1) }), ct);
        await events.WaitAsync<CampaignStarted>(e => e.CampaignId == importId, ct);
        var batches = Enumerable.Range(0, (recipients + Batch - 1) / Batch).Select(b => new AddCampaignRecipients(Guid.NewGuid(), importId, Guid.NewGuid(),
            Enumerable.Range(b * Batch, Math.Min(Batch, recipients - (b * Batch))).Select(i => new CampaignRecipient(Recipient.User(1_000_000_000L + i))
            {
                Variables = new Dictionary<string, string> { ["name"] = "n" + i.ToString(CultureInfo.InvariantCulture) },
            }).ToList())).ToList();
        var rssAtStart = scheduler.RssMb();
        double? rssAt100k = null;
        var importCpu = CpuMeter.Start(new Dictionary<int, string> { [scheduler.Pid] = "scheduler", [worker.Pid] = "worker", [simulator.Pid] = "simulator" });
        var clock = Stopwatch.StartNew();
        var sending = Task.Run(async () =>
        {
            foreach (var batch in batches)
            {
                await campaigns.Send(batch, ct);
            }

            return clock.Elapsed.TotalSeconds;
        }, ct);
        while (events.Count<CampaignRecipientsAdded>(e => e.CampaignId == importId) < batches.Count)
        {
            if (rssAt100k is null && events.Count<CampaignRecipientsAdded>(e => e.CampaignId == importId) * Batch >= 100_000)
            {
                rssAt100k = scheduler.RssMb();
            }

            if (events.Count<CampaignRejected>(e => e.CampaignId == importId) > 0 || clock.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new InvalidOperationException("The import failed: " + string.Join("; ", events.All<CampaignRejected>()));
            }

            await Task.Delay(20, ct);
        }

        var importSeconds = clock.Elapsed.TotalSeconds;
        var sentSeconds = await sending;
        var rssAfterImport = scheduler.RssMb();
        var accepted = events.All<CampaignRecipientsAdded>().Where(e => e.CampaignId == importId).Sum(e => e.Accepted);
        Console.WriteLine($"import: {accepted} of {recipients} recipients accepted in {batches.Count} batches in {importSeconds:0.0} s ({accepted / importSeconds:0} recipients/s); scheduler RSS {FleetServers.Mb(rssAtStart)} MB before, {FleetServers.Mb(rssAt100k ?? double.NaN)} MB after 100,000, {FleetServers.Mb(rssAfterImport)} MB after {accepted}");
        Console.WriteLine($"import CPU: {importCpu.Stop(accepted)}; the last batch was sent (confirmed by the broker) at {sentSeconds:0.0} s; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        if (deliveries == 0)
        {
            // Import only (to profile it): no dispatch phase, so no ratio.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"campaign import_s={importSeconds:0.0} recipients={accepted} dispatch_ratio=n/a scheduler_rss_mb={rssAfterImport:0}"));
            return 0;
        }

        // Cancelling ends every pending delivery as unsent in one statement: a million rows take a while.
        clock.Restart();
        await campaigns.Send(new CancelCampaign(Guid.NewGuid(), importId), ct);
        var cancelled = await events.WaitAsync<CampaignCompleted>(e => e.CampaignId == importId, ct, TimeSpan.FromMinutes(15));
        Console.WriteLine($"cancel: {cancelled.Deliveries.Unsent} pending deliveries ended as unsent in {clock.Elapsed.TotalSeconds:0.0} s; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

        // Direct: SendMessage from the same senders, as many in flight as the campaign may have.
        var lanes = senders * window;
        var laneIds = Enumerable.Range(0, lanes).Select(l => ids[l % senders]).ToArray();
        var laneTo = Enumerable.Range(0, lanes).Select(l => Recipient.Username(users[l % users.Length].Username!)).ToArray();
        await SimulatorPhase.SendAsync(bus, laneIds, laneTo, lanes, Math.Max(lanes * 2, direct / 4), ShardAddressing.DefaultShardCount, ct);
        clock.Restart();
        var measured = await SimulatorPhase.SendAsync(bus, laneIds, laneTo, lanes, direct, ShardAddressing.DefaultShardCount, ct);
        var directRate = measured.Sent / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"direct: {measured.Sent} sent, {measured.Failed} failed {measured.Reasons} of {direct} SendMessage ({lanes} in flight) in {clock.Elapsed.TotalSeconds:0.0} s: {directRate:0} completions/s");

        // Campaign: pacing lifted, the recipients imported while it is paused, then resumed.
        var runId = Guid.NewGuid();
        await campaigns.Send(new StartCampaign(Guid.NewGuid(), runId, "dispatch", ids, new MessageTemplate("campaign for {{name}}"),
            new CampaignPacing(0, 1_000_000)), ct);
        await events.WaitAsync<CampaignStarted>(e => e.CampaignId == runId, ct);
        await campaigns.Send(new PauseCampaign(Guid.NewGuid(), runId), ct);
        var runBatches = users.Chunk(Batch).Select(chunk => new AddCampaignRecipients(Guid.NewGuid(), runId, Guid.NewGuid(),
            chunk.Select(u => new CampaignRecipient(Recipient.Username(u.Username!)) { Variables = new Dictionary<string, string> { ["name"] = u.Username! } }).ToList())).ToList();
        foreach (var batch in runBatches)
        {
            await campaigns.Send(batch, ct);
        }

        await events.WaitAsync<CampaignRecipientsAdded>(_ => events.Count<CampaignRecipientsAdded>(e => e.CampaignId == runId) == runBatches.Count, ct);
        await using (var db = NpgsqlDataSource.Create(servers.Postgres.ConnectionString(Fleet)))
        await using (var conn = await db.OpenConnectionAsync(ct))
        {
            await conn.ExecuteAsync("VACUUM ANALYZE campaign_deliveries");
        }

        clock.Restart();
        await campaigns.Send(new ResumeCampaign(Guid.NewGuid(), runId), ct);
        var completed = await events.WaitAsync<CampaignCompleted>(e => e.CampaignId == runId, ct, TimeSpan.FromMinutes(20));
        var campaignSeconds = clock.Elapsed.TotalSeconds;
        var ended = completed.Deliveries.Sent + completed.Deliveries.Failed + completed.Deliveries.Unknown;
        var campaignRate = ended / campaignSeconds;
        var rssEnd = scheduler.RssMb();
        Console.WriteLine($"campaign: {completed.Deliveries.Sent} sent, {completed.Deliveries.Failed} failed, {completed.Deliveries.Unknown} unknown of {completed.Deliveries.Total} in {campaignSeconds:0.0} s: {campaignRate:0} deliveries/s ({campaignRate / directRate:0.00} of direct)");
        var witness = await http.GetFromJsonAsync<WitnessSummary>(new Uri("witness/summary", UriKind.Relative), ct);
        Console.WriteLine($"witness: {witness!.Delivered} delivered in all, {witness.Duplicates} duplicates; scheduler RSS at the end {FleetServers.Mb(rssEnd)} MB ({rssEnd / (rssAt100k ?? rssEnd):0.00} of after 100,000); the run took {run.Elapsed.TotalMinutes:0.0} min; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"campaign import_s={importSeconds:0.0} recipients={accepted} dispatch_ratio={campaignRate / directRate:0.00} scheduler_rss_mb={rssEnd:0}"));
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed class CampaignEvents
    {
        private readonly ConcurrentQueue<object> _events = new();

        public Task Add(object message)
        {
            _events.Enqueue(message);
            return Task.CompletedTask;
        }

        public IEnumerable<T> All<T>() => _events.OfType<T>();

        public int Count<T>(Func<T, bool> match) => _events.OfType<T>().Count(match);

        public async Task<T> WaitAsync<T>(Func<T, bool> match, CancellationToken cancellationToken, TimeSpan? timeout = null)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (_events.OfType<T>().FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                if (clock.Elapsed > (timeout ?? TimeSpan.FromMinutes(2)))
                {
                    throw new TimeoutException($"No {typeof(T).Name} came; last events: {string.Join("; ", _events.TakeLast(5))}");
                }

                await Task.Delay(20, cancellationToken);
            }
        }
    }
}
