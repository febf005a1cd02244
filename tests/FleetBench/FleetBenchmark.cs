using System.Diagnostics;
using System.Globalization;
using TgFleet.DevServers;

namespace TgFleet.FleetBench;

/// <summary>
/// ./build.sh bench fleet: the worker process against same-run baselines. Ends with
/// <c>fleet send_ratio=R1 memory_ratio=R2 latency_ratio=R3 accounts=N</c>, after
/// <c>failover kill9_s=A pause_s=B auth_key_duplicated=D</c> (<see cref="FailoverPhase"/>).
/// </summary>
internal static class FleetBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (!args.Contains(Isolation.InsideFlag) && !Isolation.LoopbackOnly)
        {
            return await Isolation.RunInNamespaceAsync(args);
        }

        if (!Isolation.LoopbackOnly)
        {
            Console.Error.WriteLine($"fleet: this network namespace has {string.Join(", ", Isolation.Interfaces())}, not loopback only; refusing to start libtdjson clients.");
            return 1;
        }

        var accounts = Option(args, "--accounts", 10_000);
        var senders = Math.Min(Option(args, "--senders", 200), accounts);
        var messages = Option(args, "--messages", 10_000);
        var clients = Option(args, "--clients", 1_000);
        var loginWindow = Option(args, "--login-window", 200);
        var shards = Option(args, "--shards", TgFleet.Contracts.Addressing.ShardAddressing.DefaultShardCount);
        if (Value(args, "--worker-dll") is { } workerDll)
        {
            Proc.WorkerDll = Path.GetFullPath(workerDll);
        }

        Console.WriteLine($"fleet: {accounts} accounts logged in on one worker, {messages} SendMessage from {senders} of them ({senders} in flight), {clients} libtdjson clients for memory; {Environment.ProcessorCount} cores; worker {Proc.WorkerDll}; network namespace interfaces: {string.Join(", ", Isolation.Interfaces())}");
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(45));
        var total = Stopwatch.StartNew();
        using var sandbox = Sandbox.Create(Path.Combine(Path.GetTempPath(), "tgfleet-fleetbench"), "run");
        await using var servers = await FleetServers.StartAsync(sandbox, stop.Token);
        for (var i = Array.IndexOf(args, "--worker-setting"); i >= 0 && i + 1 < args.Length; i = Array.IndexOf(args, "--worker-setting", i + 2))
        {
            var (key, value) = (args[i + 1][..args[i + 1].IndexOf('=', StringComparison.Ordinal)], args[i + 1][(args[i + 1].IndexOf('=', StringComparison.Ordinal) + 1)..]);
            servers.ExtraWorkerSettings[key] = value;
            Console.WriteLine($"worker setting: {key} = {(key == "Database__ConnectionString" ? "(the run's) + " : string.Empty)}{value}");
        }

        Console.WriteLine($"servers: PostgreSQL 15 on 127.0.0.1:{servers.Postgres.Port}, RabbitMQ on 127.0.0.1:{servers.RabbitMq.AmqpPort} ({total.Elapsed.TotalSeconds:0.0} s)");

        MemoryPhase.Result? memory = null;
        if (!args.Contains("--skip-memory"))
        {
            var clock = Stopwatch.StartNew();
            memory = await MemoryPhase.RunAsync(servers, clients, stop.Token);
            Console.WriteLine($"memory phase: {clock.Elapsed.TotalSeconds:0.0} s");
        }

        SimulatorPhase.Result? fleet = null;
        if (!args.Contains("--skip-simulator"))
        {
            var clock = Stopwatch.StartNew();
            if (shards != TgFleet.Contracts.Addressing.ShardAddressing.DefaultShardCount)
            {
                servers.ExtraWorkerSettings["Shards__Count"] = shards.ToString(CultureInfo.InvariantCulture);
                Console.WriteLine($"worker setting: Shards__Count = {shards} (the simulator phase only; the fleet's default is {TgFleet.Contracts.Addressing.ShardAddressing.DefaultShardCount})");
            }

            fleet = await SimulatorPhase.RunAsync(servers, new SimulatorPhase.Options(accounts, senders, messages, loginWindow, shards), stop.Token);
            Console.WriteLine($"simulator phase: {clock.Elapsed.TotalSeconds:0.0} s");
        }

        FailoverPhase.Result? failover = null;
        if (!args.Contains("--skip-failover"))
        {
            var clock = Stopwatch.StartNew();
            failover = await FailoverPhase.RunAsync(servers, Option(args, "--failover-accounts", 2_000), shards, loginWindow, stop.Token);
            Console.WriteLine($"failover phase: {clock.Elapsed.TotalSeconds:0.0} s");
        }

        Console.WriteLine($"total: {total.Elapsed.TotalSeconds:0.0} s");
        if (failover is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"failover kill9_s={failover.KillSeconds:0.0} pause_s={failover.PauseSeconds:0.0} auth_key_duplicated={failover.AuthKeyDuplicated}"));
        }

        var sendRatio = fleet is null ? double.NaN : fleet.SendsPerSecond / fleet.RoundTripsPerSecond;
        var memoryRatio = memory is null ? double.NaN : memory.WorkerKbPerClient / memory.BareKbPerClient;
        var latencyRatio = fleet?.LatencyRatio ?? double.NaN;
        // The one parseable line ./build.sh bench fleet ends with.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fleet send_ratio={sendRatio:0.00} memory_ratio={memoryRatio:0.00} latency_ratio={latencyRatio:0.00} accounts={fleet?.Accounts ?? 0}"));
        return 0;
    }

    private static int Option(string[] args, string name, int fallback) =>
        Value(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? Value(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
