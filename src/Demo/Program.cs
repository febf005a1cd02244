using System.Globalization;
using Microsoft.Extensions.Logging;
using TgFleet.Cli;
using TgFleet.Demo;
using TgFleet.DevServers;
using TgFleet.Storage;

// ./build.sh demo — run from the repository root (Cake does). Options: see DemoOptions.Usage.
if (!DemoOptions.TryParse(args, out var options, out var problem))
{
    Console.Error.WriteLine($"demo: {problem} (options: {DemoOptions.Usage})");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // we stop everything we started, then exit
    if (!stop.IsCancellationRequested)
    {
        Console.WriteLine("demo        | Ctrl+C: stopping everything the demo started…");
        stop.Cancel();
    }
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
if (options.Duration is { } duration)
{
    stop.CancelAfter(duration);
}

var output = CliOutput.Create(json: false, noColor: false);
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
var root = Directory.GetCurrentDirectory();
var dataRoot = options.DataRoot ?? Path.Combine(root, ".local", "demo");
using var sandbox = Sandbox.Create(dataRoot, "run");
// The log outlives the sandbox (which is removed on exit), beside the data folder: it is what to
// read when something went wrong.
using var log = new DemoLog(Path.Combine(dataRoot + "-logs", $"demo-{TimeProvider.System.GetLocalNow():yyyyMMdd-HHmmss}.log"));
void Say(string text)
{
    output.Line($"demo {log.Elapsed,7} | " + text);
    log.Write("demo", text);
}

var children = new List<ChildProcess>();
ThrowawayPostgres? postgres = null;
ThrowawayRabbitMq? rabbitMq = null;
var exitCode = 0;
try
{
    Say($"process logs: {log.Path}");
    Say($"data in {sandbox.Path} (removed on exit)");
    // RabbitMQ's boot is the longest part of the start (an Erlang node with its plugins: tens of
    // seconds on a busy machine), so everything that does not need it happens meanwhile: PostgreSQL
    // starts and is migrated, and the simulator (which needs neither server) starts.
    var startPostgres = StartDatabaseAsync();
    var startRabbitMq = ThrowawayRabbitMq.StartAsync(sandbox, cancellationToken: stop.Token);
    Uri? simulatorUri = null;
    var environment = new Dictionary<string, string>
    {
        // The workers' accounts run on the simulator (its address is added once it has a port),
        // their sessions are encrypted with a key made for this run, and leases are short and
        // renewed every second so that the workers share the shards within seconds of starting and
        // a killed worker's shards move within seconds (a renewal still has LeaseTtl - FenceMargin
        // - RenewInterval = 4 s to spare, as with the defaults).
        ["Telegram__Backend"] = "Simulator",
        ["Telegram__ApiId"] = "94575",
        ["Telegram__ApiHash"] = "a3406de8d171bb422bb6ddf3bbd800e2",
        ["Sessions__ActiveKeyId"] = "demo",
        ["Sessions__Keys__demo"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Shards__LeaseTtl"] = "00:00:08",
        ["Shards__RenewInterval"] = "00:00:01",
        ["Shards__FenceMargin"] = "00:00:03",
        // Two lines per recipient lookup at Information: the log would be mostly Polly.
        ["Logging__LogLevel__Polly"] = "Warning",
    };
    var processes = options.Processes().ToList();
    if (processes.FirstOrDefault(p => p.Project == "Simulator") is { Name: not null } simulator && Built(simulator.Project) is { } simulatorDll)
    {
        // The simulator plays Telegram's cloud: its control API and backend socket on loopback.
        var port = FreePort.Next();
        var urls = $"http://127.0.0.1:{port}";
        children.Add(ChildProcess.Start(simulator.Name, simulatorDll, port, environment, sandbox, log, ["--urls", urls], readyPath: "health"));
        Say($"Telegram simulator: control API {urls}/control, witness {urls}/witness/summary (docs/simulator.md)");
        simulatorUri = new Uri(urls + "/");
        environment["Telegram__SimulatorUri"] = $"ws://127.0.0.1:{port}/backend";
    }

    try
    {
        await Task.WhenAll(startPostgres, startRabbitMq);
    }
    finally
    {
        // Whichever started is stopped below, also when the other did not.
        postgres = startPostgres.IsCompletedSuccessfully ? startPostgres.Result : null;
        rabbitMq = startRabbitMq.IsCompletedSuccessfully ? startRabbitMq.Result : null;
    }

    var connectionString = postgres!.ConnectionString("tgfleet");
    Say($"RabbitMQ on 127.0.0.1:{rabbitMq!.AmqpPort} (management http://127.0.0.1:{rabbitMq.ManagementPort}, guest/guest)");
    await rabbitMq.CreateVirtualHostAsync("tgfleet", stop.Token);
    environment["Database__ConnectionString"] = connectionString;
    environment["RabbitMq__Uri"] = rabbitMq.AmqpUri("tgfleet").ToString();

    foreach (var (name, project) in processes.Where(p => p.Project != "Simulator"))
    {
        if (Built(project) is not { } dll)
        {
            continue;
        }

        var port = FreePort.Next();
        // A worker's id is its name here, so that shard_leases and the demo's screen agree. The
        // scheduler dispatches often and resends sooner than its defaults, for a demo of minutes.
        var own = new Dictionary<string, string>(environment);
        if (project == "Worker")
        {
            own["Shards__WorkerId"] = name;
            own["Telegram__DataDirectory"] = Path.Combine(sandbox.Path, name);
        }
        else
        {
            own["Campaigns__DispatchInterval"] = TimeSpan.FromMilliseconds(DemoPacing.DispatchIntervalMs).ToString("c", CultureInfo.InvariantCulture);
            own["Campaigns__AdvanceInterval"] = "00:00:00.500";
            own["Campaigns__CompletionGrace"] = "00:00:02";
            own["Campaigns__ResendAfter"] = "00:00:20";
            own["Campaigns__RetryDelay"] = "00:00:02";
        }

        children.Add(ChildProcess.Start(name, dll, port, own, sandbox, log));
    }

    if (simulatorUri is null || !children.Any(c => c.Name.StartsWith("worker-", StringComparison.Ordinal)))
    {
        throw new InvalidOperationException("the simulator and at least one worker are needed (build first: ./build.sh build)");
    }

    async Task<ThrowawayPostgres> StartDatabaseAsync()
    {
        var server = await ThrowawayPostgres.StartAsync(sandbox, cancellationToken: stop.Token);
        try
        {
            await server.CreateDatabaseAsync("tgfleet", cancellationToken: stop.Token);
            var applied = await DatabaseMigrator.MigrateAsync(server.ConnectionString("tgfleet"), loggerFactory.CreateLogger("migrate"), stop.Token);
            Say($"PostgreSQL 15 on 127.0.0.1:{server.Port}, database migrated ({applied.Count} migrations)");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    string? Built(string project)
    {
        var dll = Path.Combine(root, "src", project, "bin", options.Configuration, "net10.0", $"TgFleet.{project}.dll");
        if (File.Exists(dll))
        {
            return dll;
        }

        Say($"{project}: not built ({dll}); skipped");
        return null;
    }

    var matches = await new Scenario(options, children, rabbitMq.AmqpUri("tgfleet"), simulatorUri, connectionString, output, log).RunAsync(stop.Token);
    exitCode = matches ? 0 : 1;
    if (!Console.IsInputRedirected && options.Duration is null)
    {
        Say("the fleet keeps running (the URLs above answer); Ctrl+C stops everything");
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    // Ctrl+C or --duration.
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or HttpRequestException or CliException)
{
    Say("failed: " + e.Message + $" (process logs: {log.Path})");
    exitCode = 1;
}
finally
{
    // The scheduler and the workers at once (each hands its work over by itself), then the
    // simulator they talked to, then the servers.
    await Task.WhenAll(children.Where(c => c.Name != "simulator").Select(c => c.DisposeAsync().AsTask()));
    foreach (var child in children.Where(c => c.Name == "simulator"))
    {
        await child.DisposeAsync();
    }

    if (rabbitMq is not null)
    {
        await rabbitMq.DisposeAsync();
    }

    if (postgres is not null)
    {
        await postgres.DisposeAsync();
    }

    Say("stopped; nothing left running");
}

return exitCode;

/// <summary>The demo's command line.</summary>
internal sealed record DemoOptions(string Configuration, int Workers, int Senders, int Recipients, double CampaignSeconds, int FloodWaitSeconds, TimeSpan? Duration, string? DataRoot)
{
    public const string Usage = "--workers N (2), --senders N (20), --recipients N (5000), --campaign-seconds S (50), --flood-wait S (65), --duration SECONDS, --data DIR, --configuration Debug|Release";

    public static bool TryParse(string[] args, out DemoOptions options, out string problem)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        bool Whole(string name, string fallback, int min, int max, out int value) =>
            int.TryParse(Value(name, fallback), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

        options = new DemoOptions("Debug", 2, 20, 5000, 50, 65, null, null);
        var configuration = Value("--configuration", "Debug");
        if (configuration is not ("Debug" or "Release"))
        {
            problem = $"--configuration must be Debug or Release, not '{configuration}'";
            return false;
        }

        if (!Whole("--workers", "2", 0, 16, out var workers))
        {
            problem = "--workers must be a whole number from 0 to 16";
            return false;
        }

        if (!Whole("--senders", "20", 1, 999, out var senders))
        {
            problem = "--senders must be a whole number from 1 to 999";
            return false;
        }

        if (!Whole("--recipients", "5000", 1, 1_000_000, out var recipients))
        {
            problem = "--recipients must be a whole number from 1 to 1,000,000";
            return false;
        }

        if (!double.TryParse(Value("--campaign-seconds", "50"), NumberStyles.Float, CultureInfo.InvariantCulture, out var campaignSeconds) || campaignSeconds <= 0)
        {
            problem = "--campaign-seconds must be a positive number";
            return false;
        }

        // Above 60 s the send fails with retry-after and the sender shows FLOOD_WAIT until it is
        // over; up to 60 s TDLib (the simulator's backend) waits it out and sends by itself.
        if (!Whole("--flood-wait", "65", 1, 3600, out var floodWait))
        {
            problem = "--flood-wait must be a whole number of seconds from 1 to 3600";
            return false;
        }

        TimeSpan? duration = null;
        if (Value("--duration", "") is { Length: > 0 } text)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
            {
                problem = "--duration must be a positive number of seconds";
                return false;
            }

            duration = TimeSpan.FromSeconds(seconds);
        }

        options = new DemoOptions(configuration, workers, senders, recipients, campaignSeconds, floodWait, duration,
            Value("--data", "") is { Length: > 0 } data ? Path.GetFullPath(data) : null);
        problem = string.Empty;
        return true;
    }

    /// <summary>
    /// The senders that send for most of the campaign: all but the FLOOD_WAIT sender (waiting
    /// out its wait) and the PEER_FLOOD one (limited after a few sends), where the cast has them.
    /// </summary>
    public int SteadySenders => Math.Max(1, Senders - (Senders > Seeding.FloodWaitSender ? 1 : 0) - (Senders > Seeding.PeerFloodSender ? 1 : 0));

    /// <summary>
    /// The campaign's pacing, so that it takes about <see cref="CampaignSeconds"/>. A sender is due
    /// <c>interval + jitter</c> after its last send (the jitter uniform), so on average every
    /// <c>interval + jitter / 2</c>: the scheduler dispatches round after round while anything is
    /// due (and every <see cref="DemoPacing.DispatchIntervalMs"/> ms when nothing is), so with many
    /// senders hardly any due sender waits for a round. A sender never sends more often than every 50 ms.
    /// </summary>
    public DemoPacing Pacing
    {
        get
        {
            var wanted = CampaignSeconds * 1000.0 * SteadySenders / Recipients;
            var interval = Math.Max(50, (int)Math.Round(wanted * 0.75));
            var jitter = (int)Math.Round(wanted / 2);
            return new DemoPacing(interval, jitter, interval + (jitter / 2.0));
        }
    }

    /// <summary>The fleet's processes in start order: (display name, project folder under src/).</summary>
    public IEnumerable<(string Name, string Project)> Processes()
    {
        yield return ("simulator", "Simulator");
        for (var i = 1; i <= Workers; i++)
        {
            yield return ($"worker-{i}", "Worker");
        }

        yield return ("scheduler", "Scheduler");
    }
}

/// <summary>The campaign's per-sender interval and jitter, and the mean time between a sender's sends, in ms.</summary>
internal sealed record DemoPacing(int IntervalMs, int JitterMs, double MeanPeriodMs)
{
    /// <summary>How often the demo's scheduler dispatches.</summary>
    public const int DispatchIntervalMs = 250;
}
