using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;

namespace TgFleet.FleetBench;

/// <summary>
/// ONE worker (Telegram:Backend=Simulator) against ONE simulator process: N accounts logged in
/// through the fleet's own commands (Authenticate, the code from the simulator's control API,
/// SubmitAuthenticationCode), the worker's idle RSS per account, then SendMessage → MessageSent
/// completions/s from S of them, beside bare MassTransit request/response round trips/s over the
/// same broker with the same number in flight.
/// </summary>
internal static class SimulatorPhase
{
    private const string Fleet = "fleet";
    private const string Baseline = "baseline";
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    public sealed record Options(int Accounts, int Senders, int Messages, int LoginWindow, int Shards);

    /// <summary>R3's Telegram latency per send, the simulator's <c>latencyMs</c>.</summary>
    private const int LatencyMs = 500;

    public sealed record Result(double SendsPerSecond, double RoundTripsPerSecond, int Accounts, double IdleMbPerAccount, double LatencyRatio);

    public static async Task<Result> RunAsync(FleetServers servers, Options options, CancellationToken cancellationToken)
    {
        await servers.CreateFleetAsync(Fleet, cancellationToken);
        await servers.RabbitMq.CreateVirtualHostAsync(Baseline, cancellationToken);

        await using var simulator = FleetChild.Start("simulator", Proc.Dll("src/Simulator", "TgFleet.Simulator"), new Dictionary<string, string>(), servers.Sandbox,
            "--urls", FleetChild.UrlsArgument);
        await simulator.WaitUntilAsync("health", TimeSpan.FromMinutes(1), cancellationToken);
        using var http = new HttpClient { BaseAddress = simulator.BaseUri };
        var backend = new Uri($"ws://{simulator.BaseUri.Authority}/backend");
        var seeded = await SeedAsync(http, new BulkSeed(options.Accounts, "4470"), cancellationToken);
        var users = await SeedAsync(http, new BulkSeed(options.Senders, "4471", "fleetbench_user_", Accounts: false), cancellationToken);
        Console.WriteLine($"simulator: seeded {seeded.Length} accounts and {users.Length} recipients");

        await using var worker = await servers.StartWorkerAsync(Fleet, servers.WorkerEnvironment(Fleet, "Simulator", backend), cancellationToken);
        await using var bus = await BenchBus.StartAsync(servers.RabbitMq.AmqpUri(Fleet), cancellationToken);
        await Task.Delay(Settle, cancellationToken);
        var before = worker.RssMb();

        // Logins through the worker's consumers, LoginWindow at a time.
        var ids = seeded.Select((_, i) => $"acct-{i:000000}").ToArray();
        var loginCpu = CpuMeter.Start(new Dictionary<int, string> { [worker.Pid] = "worker", [simulator.Pid] = "simulator" });
        var clock = Stopwatch.StartNew();
        var done = 0;
        using (new Timer(_ => Console.WriteLine($"  … {Volatile.Read(ref done)} of {ids.Length} logged in"), null, 10_000, 10_000))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, ids.Length), new ParallelOptions { MaxDegreeOfParallelism = options.LoginWindow, CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    await LogInAsync(bus, http, ids[i], Phone(seeded[i]), options.Shards, ct);
                    Interlocked.Increment(ref done);
                });
        }

        var loginSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"logins: {ids.Length} accounts logged in through Authenticate/SubmitAuthenticationCode in {loginSeconds:0.0} s ({ids.Length / loginSeconds:0} logins/s, {options.LoginWindow} at a time)");
        Console.WriteLine($"logins cpu: {loginCpu.Stop(ids.Length).Replace("/msg", "/login", StringComparison.Ordinal)}");
        await Task.Delay(Settle, cancellationToken);
        var idle = worker.RssMb();
        var alive = await worker.MetricAsync("tgfleet_clients_alive", cancellationToken);
        var idleMbPerAccount = (idle - before) / ids.Length;
        Console.WriteLine($"idle: worker (Telegram:Backend=Simulator) RSS {FleetServers.Mb(before)} MB before the logins, {FleetServers.Mb(idle)} MB with {alive} authorized idle accounts: {idleMbPerAccount * 1024:0.0} KB/account marginal ({idle * 1024 / ids.Length:0.0} KB/account counting the whole process); simulator RSS {FleetServers.Mb(simulator.RssMb())} MB");

        // R1's denominator: bare request/response, same broker, same number in flight; the
        // responder stops before the fleet's sends are measured.
        // Both sides warm up with the same number of round trips first: the JIT's tiering takes
        // seconds, and a side measured while it is still compiling would look slower than it is.
        var warmUp = Math.Max(options.Senders * 5, options.Messages / 2);
        RequestResponseBaseline.Figures classic, quorum, sharded;
        await using (var responder = FleetChild.Start("responder", typeof(SimulatorPhase).Assembly.Location, new Dictionary<string, string>(), servers.Sandbox,
            RequestResponseBaseline.ResponderCommand, servers.RabbitMq.AmqpUri(Baseline).ToString(), options.Senders.ToString(CultureInfo.InvariantCulture)))
        {
            await WaitForLineAsync(responder, "ready", cancellationToken);
            await using var requester = await BenchBus.StartAsync(servers.RabbitMq.AmqpUri(Baseline), cancellationToken);
            var roles = new Dictionary<int, string> { [responder.Pid] = "responder", [worker.Pid] = "worker", [simulator.Pid] = "simulator" };
            (classic, quorum, sharded) = await RequestResponseBaseline.MeasureAsync(requester.Bus, options.Senders, warmUp, options.Messages, roles, cancellationToken);
        }

        var roundTrips = classic.RoundTripsPerSecond;
        Console.WriteLine($"baseline: bare MassTransit request/response {roundTrips:0} round trips/s ({options.Messages} requests after {warmUp} to warm up, {options.Senders} in flight, responder in a child process, classic queue)");
        Console.WriteLine($"baseline cpu: {classic.Cpu}");
        Console.WriteLine($"for comparison, not in R1: the same on one quorum queue {quorum.RoundTripsPerSecond:0} round trips/s ({quorum.RoundTripsPerSecond / roundTrips:0.00} of the classic queue's)");
        Console.WriteLine($"quorum baseline cpu: {quorum.Cpu}");
        Console.WriteLine($"for comparison, not in R1: the same over 64 quorum queues consumed like shard endpoints (prefetch 32, one at a time; lane i on queue i mod 64) {sharded.RoundTripsPerSecond:0} round trips/s ({sharded.RoundTripsPerSecond / roundTrips:0.00} of the classic queue's)");
        Console.WriteLine($"sharded baseline cpu: {sharded.Cpu}");

        // R1's numerator: SendMessage from S distinct accounts, each waiting for its MessageSent before the next.
        var recipients = users.Select(u => Recipient.Username(u.Username!)).ToArray();
        var warm = await SendAsync(bus, ids, recipients, options.Senders, warmUp, options.Shards, cancellationToken);
        var (rowsBefore, statementsBefore) = (await worker.MetricSumAsync("tgfleet_journal_batch_rows_sum", cancellationToken), await worker.MetricSumAsync("tgfleet_journal_batch_rows_count", cancellationToken));
        var cpu = CpuMeter.Start(new Dictionary<int, string> { [worker.Pid] = "worker", [simulator.Pid] = "simulator" });
        clock.Restart();
        var measured = await SendAsync(bus, ids, recipients, options.Senders, options.Messages, options.Shards, cancellationToken);
        var sendSeconds = clock.Elapsed.TotalSeconds;
        var sendCpu = cpu.Stop(options.Messages);
        var sends = measured.Sent / sendSeconds;
        Console.WriteLine($"sends: {measured.Sent} MessageSent, {measured.Failed} MessageFailed {measured.Reasons} of {options.Messages} SendMessage from {options.Senders} accounts ({options.Senders} in flight) in {sendSeconds:0.0} s: {sends:0} completions/s (warm-up: {warm.Sent} sent, {warm.Failed} failed)");
        Console.WriteLine($"sends cpu: {sendCpu}");
        var rows = await worker.MetricSumAsync("tgfleet_journal_batch_rows_sum", cancellationToken) - rowsBefore;
        var statements = await worker.MetricSumAsync("tgfleet_journal_batch_rows_count", cancellationToken) - statementsBefore;
        Console.WriteLine($"journal: {rows:0} rows in {statements:0} statements while measuring ({rows / statements:0.0} rows per statement; tgfleet.journal.batch.rows)");

        // R3: every send of the senders delayed LatencyMs by Telegram, one in flight per account: the
        // ideal is senders / latency completions/s, reached only if no account waits for another.
        var slowed = seeded.Take(options.Senders).Select(Phone).ToArray();
        await Task.WhenAll(slowed.Select(phone => FaultsAsync(http, phone, new AccountFaults(LatencyMs: LatencyMs), cancellationToken)));
        var latencyCount = options.Senders * 10;
        cpu = CpuMeter.Start(new Dictionary<int, string> { [worker.Pid] = "worker", [simulator.Pid] = "simulator" });
        clock.Restart();
        var slow = await SendAsync(bus, ids, recipients, options.Senders, latencyCount, options.Shards, cancellationToken);
        var slowSeconds = clock.Elapsed.TotalSeconds;
        var slowCpu = cpu.Stop(latencyCount);
        var ideal = options.Senders / (LatencyMs / 1000.0);
        var slowSends = slow.Sent / slowSeconds;
        Console.WriteLine($"latency: {slow.Sent} MessageSent, {slow.Failed} MessageFailed {slow.Reasons} of {latencyCount} SendMessage from {options.Senders} accounts (one in flight each), every send delayed {LatencyMs} ms by the simulator, in {slowSeconds:0.0} s: {slowSends:0} completions/s of the ideal {ideal:0}/s");
        Console.WriteLine($"latency cpu: {slowCpu}");
        await Task.WhenAll(slowed.Select(phone => FaultsAsync(http, phone, new AccountFaults(LatencyMs: 0), cancellationToken)));

        var delivered = (await http.GetFromJsonAsync<Stats>(new Uri("health", UriKind.Relative), cancellationToken))!.Delivered;
        Console.WriteLine($"witness: the simulator delivered {delivered} messages in all (warm-up and measured)");
        return new Result(sends, roundTrips, ids.Length, idleMbPerAccount, slowSends / ideal);
    }

    internal static async Task<Created[]> SeedAsync(HttpClient http, BulkSeed seed, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri("control/bulk", UriKind.Relative), seed, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Created[]>(cancellationToken))!;
    }

    private static async Task FaultsAsync(HttpClient http, string phone, AccountFaults faults, CancellationToken cancellationToken)
    {
        using var response = await http.PutAsJsonAsync(new Uri("control/accounts/" + Uri.EscapeDataString(phone) + "/faults", UriKind.Relative), faults, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    internal static string Phone(Created created) => created.Phone.StartsWith('+') ? created.Phone : "+" + created.Phone;

    internal static async Task LogInAsync(BenchBus bus, HttpClient http, string accountId, string phone, int shards, CancellationToken cancellationToken)
    {
        var awaitingCode = bus.ExpectState(accountId, AuthenticationState.AwaitingCode);
        await bus.Bus.SendToShard(new Authenticate(NewId.NextGuid(), accountId, phone), shards, cancellationToken);
        await awaitingCode.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        var code = (await http.GetFromJsonAsync<CodeView>(new Uri("control/codes/" + Uri.EscapeDataString(phone), UriKind.Relative), cancellationToken))!.Code;
        var ready = bus.ExpectState(accountId, AuthenticationState.Ready);
        await bus.Bus.SendToShard(new SubmitAuthenticationCode(NewId.NextGuid(), accountId, code), shards, cancellationToken);
        await ready.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
    }

    internal sealed record Sending(long Sent, long Failed, string Reasons);

    internal static async Task<Sending> SendAsync(BenchBus bus, string[] ids, Recipient[] recipients, int senders, int count, int shards, CancellationToken cancellationToken)
    {
        var remaining = (long)count;
        long sent = 0, failed = 0;
        var reasons = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async lane =>
        {
            var n = 0;
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var command = new SendMessage(NewId.NextGuid(), ids[lane], recipients[lane], $"bench {lane}/{n++}");
                var outcome = bus.ExpectOutcome(command.CommandId);
                await bus.Bus.SendToShard(command, shards, cancellationToken);
                var result = await outcome.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
                if (result.Sent)
                {
                    Interlocked.Increment(ref sent);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    reasons.AddOrUpdate(result.Reason ?? "?", 1, (_, c) => c + 1);
                }
            }
        }));
        return new Sending(sent, failed, reasons.IsEmpty ? string.Empty : "(" + string.Join(", ", reasons.Select(r => $"{r.Key}: {r.Value}")) + ")");
    }

    private static async Task WaitForLineAsync(FleetChild child, string line, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!child.Tail(200).Contains(line, StringComparison.Ordinal))
        {
            if (child.HasExited || clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new InvalidOperationException($"{child.Name} did not say '{line}'. Its log:{Environment.NewLine}{child.Tail()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
