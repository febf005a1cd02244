using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Dapper;
using MassTransit;
using Npgsql;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.DevServers;
using TgFleet.Simulator;

namespace TgFleet.FleetBench;

/// <summary>
/// The failover figure: N accounts logged in on TWO workers (each with its child egress gate,
/// the fleet's default lease TTL and disconnect delay) against one simulator process. One worker
/// is killed with SIGKILL (its gate stays: it records the leases closed); then, with a third
/// worker in its place, one worker is paused with SIGSTOP while its gate runs. Each figure is the
/// time from the signal until the last of the victim's accounts has sent a message again on the
/// other worker (each account sends one SendMessage right after the signal, and again after any
/// failure). The simulator's witness counts AUTH_KEY_DUPLICATED over the whole phase, including
/// after the paused worker resumed (and, paused longer than its AMQP heartbeat, ended itself and
/// was replaced by a fresh worker).
/// </summary>
internal static class FailoverPhase
{
    private const string Fleet = "failover";
    private const int Recipients = 100;
    private const int Stop = 19;      // SIGSTOP (Linux)
    private const int Continue = 18;  // SIGCONT (Linux)
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(10);

    public sealed record Result(double KillSeconds, double PauseSeconds, int AuthKeyDuplicated);

    public static async Task<Result> RunAsync(FleetServers servers, int accounts, int shards, int loginWindow, CancellationToken cancellationToken)
    {
        await servers.CreateFleetAsync(Fleet, cancellationToken);
        await using var simulator = FleetChild.Start("simulator-failover", Proc.Dll("src/Simulator", "TgFleet.Simulator"), new Dictionary<string, string>(), servers.Sandbox,
            "--urls", FleetChild.UrlsArgument);
        await simulator.WaitUntilAsync("health", TimeSpan.FromMinutes(1), cancellationToken);
        using var http = new HttpClient { BaseAddress = simulator.BaseUri };
        var backend = new Uri($"ws://{simulator.BaseUri.Authority}/backend");
        var seeded = await SimulatorPhase.SeedAsync(http, new BulkSeed(accounts, "4480"), cancellationToken);
        var users = await SimulatorPhase.SeedAsync(http, new BulkSeed(Recipients, "4481", "failover_user_", Accounts: false), cancellationToken);
        var ids = seeded.Select((_, i) => $"fo-{i:000000}").ToArray();
        var recipients = users.Select(u => Recipient.Username(u.Username!)).ToArray();
        await using var db = FleetDatabase(servers);

        var workers = new Dictionary<string, FleetChild>(StringComparer.Ordinal);
        try
        {
            foreach (var id in (string[])["failover-1", "failover-2"])
            {
                workers[id] = await StartWorkerAsync(servers, id, backend, cancellationToken);
            }

            await using var bus = await BenchBus.StartAsync(servers.RabbitMq.AmqpUri(Fleet), cancellationToken);
            var owners = await FairShareAsync(db, shards, workers.Keys, cancellationToken);
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, ids.Length), new ParallelOptions { MaxDegreeOfParallelism = loginWindow, CancellationToken = cancellationToken },
                async (i, ct) => await SimulatorPhase.LogInAsync(bus, http, ids[i], SimulatorPhase.Phone(seeded[i]), shards, ct));
            Console.WriteLine($"failover: {ids.Length} accounts logged in on two workers ({string.Join(", ", workers.Keys.Select(w => $"{w}: {owners.Values.Count(o => o == w)} shards"))}) in {clock.Elapsed.TotalSeconds:0.0} s; {Load()}");

            // kill -9 of a worker; its gate (a process of its own) stays and records its leases closed.
            var killed = workers["failover-1"];
            var victims = AccountsOf(ids, owners, "failover-1", shards);
            var kill = await MeasureAsync("kill", bus, victims, ids, recipients, shards, () => Signals.Send(killed.Pid, Signals.KillNow), cancellationToken);
            Console.WriteLine($"failover: kill -9 of failover-1 ({victims.Count} accounts): all sent again on failover-2 after {kill.Last:0.0} s (first {kill.First:0.0} s, median {kill.Median:0.0} s; {kill.Retries} sends retried after a failure); {Load()}");
            await killed.DisposeAsync();
            workers.Remove("failover-1");

            // A third worker takes half the shards back (a released hand-over), then one worker is paused.
            workers["failover-3"] = await StartWorkerAsync(servers, "failover-3", backend, cancellationToken);
            owners = await FairShareAsync(db, shards, workers.Keys, cancellationToken);
            var all = Enumerable.Range(0, ids.Length).ToList();
            var settled = await MeasureAsync("joined", bus, all, ids, recipients, shards, () => { }, cancellationToken);
            Console.WriteLine($"failover: failover-3 joined; every account sent once in {settled.Last:0.0} s ({settled.Retries} sends retried after a failure); {Load()}");

            var paused = workers["failover-2"];
            victims = AccountsOf(ids, owners, "failover-2", shards);
            var pause = await MeasureAsync("pause", bus, victims, ids, recipients, shards, () => Signals.Send(paused.Pid, Stop), cancellationToken);
            Signals.Send(paused.Pid, Continue);
            Console.WriteLine($"failover: SIGSTOP of failover-2 ({victims.Count} accounts, its gate running): all sent again on failover-3 after {pause.Last:0.0} s (first {pause.First:0.0} s, median {pause.Median:0.0} s; {pause.Retries} sends retried after a failure); {Load()}");

            // The resumed worker fences, rejoins and takes its share back; one paused longer than its
            // AMQP heartbeat ends itself instead (PauseWatch), and a fresh one takes its place, as
            // its supervisor would start it. Every account sends once more.
            var resumed = Stopwatch.StartNew();
            while (!paused.HasExited && resumed.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }

            var rejoined = "failover-2";
            if (paused.HasExited)
            {
                Console.WriteLine($"failover: failover-2 ended itself {resumed.Elapsed.TotalSeconds:0.0} s after SIGCONT (paused longer than its AMQP heartbeat); a fresh failover-4 takes its place");
                await paused.DisposeAsync();
                workers.Remove("failover-2");
                rejoined = "failover-4";
                workers[rejoined] = await StartWorkerAsync(servers, rejoined, backend, cancellationToken);
            }

            await FairShareAsync(db, shards, workers.Keys, cancellationToken);
            var after = await MeasureAsync("rejoined", bus, all, ids, recipients, shards, () => { }, cancellationToken);
            var witness = (await http.GetFromJsonAsync<WitnessSummary>(new Uri("witness/summary", UriKind.Relative), cancellationToken))!;
            Console.WriteLine($"failover: after SIGCONT {rejoined} joined; every account sent once more in {after.Last:0.0} s ({after.Retries} sends retried after a failure); witness: {witness.AuthKeyDuplicatedCount} AUTH_KEY_DUPLICATED, {witness.Duplicates} duplicate deliveries");
            return new Result(kill.Last, pause.Last, witness.AuthKeyDuplicatedCount);
        }
        finally
        {
            foreach (var worker in workers.Values)
            {
                await worker.DisposeAsync();
            }
        }
    }

    private sealed record Takeover(double First, double Median, double Last, int Retries);

    /// <summary>
    /// Signals, then sends one message from each victim at once (commands wait in the shard queues
    /// while nobody owns them) and again after any failure, until every victim has sent one. Every
    /// text is new (phase, account, attempt), so the witness's duplicate count means what it says.
    /// </summary>
    private static async Task<Takeover> MeasureAsync(string phase, BenchBus bus, IReadOnlyList<int> victims, string[] ids, Recipient[] recipients, int shards,
        Action signal, CancellationToken cancellationToken)
    {
        var retries = 0;
        var times = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        signal();
        await Task.WhenAll(victims.Select(async i =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var command = new SendMessage(NewId.NextGuid(), ids[i], recipients[i % recipients.Length], $"failover {phase} {i}/{attempt}");
                var outcome = bus.ExpectOutcome(command.CommandId);
                await bus.Bus.SendToShard(command, shards, cancellationToken);
                if ((await outcome.WaitAsync(Deadline, cancellationToken)).Sent)
                {
                    times.Add(clock.Elapsed.TotalSeconds);
                    return;
                }

                Interlocked.Increment(ref retries);
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }));
        var sorted = times.Order().ToArray();
        return new Takeover(sorted[0], sorted[sorted.Length / 2], sorted[^1], retries);
    }

    private static async Task<FleetChild> StartWorkerAsync(FleetServers servers, string id, Uri backend, CancellationToken cancellationToken)
    {
        var environment = servers.WorkerEnvironment(Fleet, "Simulator", backend);
        environment["Shards__WorkerId"] = id;
        environment["Telegram__DataDirectory"] = servers.Sandbox.SubDirectory("accounts-" + id);
        return await servers.StartWorkerAsync(id, environment, cancellationToken);
    }

    private static NpgsqlDataSource FleetDatabase(FleetServers servers) => NpgsqlDataSource.Create(servers.Postgres.ConnectionString(Fleet));

    /// <summary>Waits until every shard has a live owner and each of <paramref name="workers"/> holds its fair share.</summary>
    private static async Task<IReadOnlyDictionary<int, string>> FairShareAsync(NpgsqlDataSource db, int shards, IEnumerable<string> workers, CancellationToken cancellationToken)
    {
        var names = workers.ToArray();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using var conn = await db.OpenConnectionAsync(cancellationToken);
            var owners = (await conn.QueryAsync<(int Shard, string Owner)>(new CommandDefinition(
                "SELECT shard, owner FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()", cancellationToken: cancellationToken)))
                .ToDictionary(r => r.Shard, r => r.Owner);
            if (owners.Count == shards && names.All(w => owners.Values.Count(o => o == w) >= shards / names.Length))
            {
                return owners;
            }

            if (clock.Elapsed > Deadline)
            {
                throw new TimeoutException($"failover: no fair share among {string.Join(", ", names)} within {Deadline.TotalMinutes} minutes: {owners.Count} shards owned.");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static List<int> AccountsOf(string[] ids, IReadOnlyDictionary<int, string> owners, string worker, int shards) =>
        [.. Enumerable.Range(0, ids.Length).Where(i => owners[ShardAddressing.ShardOf(ids[i], shards)] == worker)];

    /// <summary>The machine's load average (the figures depend on it: 2 shared cores).</summary>
    internal static string Load() =>
        "load average " + string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
