using System.Globalization;
using Microsoft.Extensions.Logging;
using TgFleet.Demo;
using TgFleet.DevServers;
using TgFleet.Storage;

// ./build.sh demo — run from the repository root (Cake does). Options: --configuration Debug|Release,
// --workers N (default 2), --duration SECONDS (stop by itself; default: until Ctrl+C),
// --data DIR (where the throwaway servers keep their data; default .local/demo).
if (!DemoOptions.TryParse(args, out var options, out var problem))
{
    Console.Error.WriteLine($"demo: {problem} (options: --configuration Debug|Release, --workers N, --duration SECONDS, --data DIR)");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // we stop everything we started, then exit
    if (!stop.IsCancellationRequested)
    {
        ChildProcess.Say("demo", "Ctrl+C: stopping everything the demo started…", ConsoleColor.Red);
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

using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
var root = Directory.GetCurrentDirectory();
using var sandbox = Sandbox.Create(options.DataRoot ?? Path.Combine(root, ".local", "demo"), "run");
var children = new List<ChildProcess>();
ThrowawayPostgres? postgres = null;
ThrowawayRabbitMq? rabbitMq = null;
var exitCode = 0;
Task? scenario = null;
try
{
    ChildProcess.Say("demo", $"data in {sandbox.Path} (removed on exit)");
    var startPostgres = ThrowawayPostgres.StartAsync(sandbox, cancellationToken: stop.Token);
    var startRabbitMq = ThrowawayRabbitMq.StartAsync(sandbox, cancellationToken: stop.Token);
    postgres = await startPostgres;
    ChildProcess.Say("postgres", $"PostgreSQL 15 on 127.0.0.1:{postgres.Port}");
    rabbitMq = await startRabbitMq;
    ChildProcess.Say("rabbitmq", $"RabbitMQ on 127.0.0.1:{rabbitMq.AmqpPort} (management http://127.0.0.1:{rabbitMq.ManagementPort}, guest/guest)");

    await postgres.CreateDatabaseAsync("tgfleet", cancellationToken: stop.Token);
    await rabbitMq.CreateVirtualHostAsync("tgfleet", stop.Token);
    var applied = await DatabaseMigrator.MigrateAsync(postgres.ConnectionString("tgfleet"), loggerFactory.CreateLogger("migrate"), stop.Token);
    ChildProcess.Say("demo", $"database migrated ({applied.Count} migrations)");

    var environment = new Dictionary<string, string>
    {
        ["Database__ConnectionString"] = postgres.ConnectionString("tgfleet"),
        ["RabbitMq__Uri"] = rabbitMq.AmqpUri("tgfleet").ToString(),
        // The workers' accounts run on the simulator (its address is added once it has a port),
        // their sessions are encrypted with a key made for this run, and leases are short so that
        // shards move within seconds.
        ["Telegram__Backend"] = "Simulator",
        ["Telegram__ApiId"] = "94575",
        ["Telegram__ApiHash"] = "a3406de8d171bb422bb6ddf3bbd800e2",
        ["Sessions__ActiveKeyId"] = "demo",
        ["Sessions__Keys__demo"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Shards__LeaseTtl"] = "00:00:10",
        ["Shards__RenewInterval"] = "00:00:03",
        ["Shards__FenceMargin"] = "00:00:03",
        // The demo's "shards" lines say what moves; readiness is shown by the status line.
        ["Logging__LogLevel__TgFleet.Worker.Sharding"] = "Warning",
        ["Logging__LogLevel__Microsoft.Extensions.Diagnostics.HealthChecks"] = "Critical",
    };
    Uri? simulatorUri = null;

    foreach (var (name, project) in options.Processes())
    {
        var dll = Path.Combine(root, "src", project, "bin", options.Configuration, "net10.0", $"TgFleet.{project}.dll");
        if (!File.Exists(dll))
        {
            ChildProcess.Say("demo", $"{name}: not built ({dll}); skipped", ConsoleColor.Red);
            continue;
        }

        var port = FreePort.Next();
        if (project == "Simulator")
        {
            // The simulator plays Telegram's cloud: its control API and backend socket on loopback.
            var urls = $"http://127.0.0.1:{port}";
            children.Add(ChildProcess.Start(name, dll, port, environment, sandbox, ["--urls", urls], readyPath: "health"));
            ChildProcess.Say("demo", $"Telegram simulator: control API {urls}/control, witness {urls}/witness/summary (docs/simulator.md)");
            simulatorUri = new Uri(urls + "/");
            environment["Telegram__SimulatorUri"] = $"ws://127.0.0.1:{port}/backend";
            continue;
        }

        // A worker's id is its name here, so that shard_leases and the demo's lines agree.
        var own = new Dictionary<string, string>(environment)
        {
            ["Shards__WorkerId"] = name,
            ["Telegram__DataDirectory"] = Path.Combine(sandbox.Path, name),
        };
        children.Add(ChildProcess.Start(name, dll, port, own, sandbox));
    }

    if (simulatorUri is not null)
    {
        scenario = new Scenario(children, rabbitMq.AmqpUri("tgfleet"), simulatorUri, postgres.ConnectionString("tgfleet")).RunAsync(stop.Token);
    }

    await Status.ShowUntilStoppedAsync(children, stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    // Ctrl+C or --duration while starting.
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
{
    ChildProcess.Say("demo", "failed: " + e.Message, ConsoleColor.Red);
    exitCode = 1;
}
finally
{
    if (scenario is not null)
    {
        await scenario;
    }

    foreach (var child in Enumerable.Reverse(children))
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

    ChildProcess.Say("demo", "stopped; nothing left running");
}

return exitCode;

/// <summary>The demo's command line.</summary>
internal sealed record DemoOptions(string Configuration, int Workers, TimeSpan? Duration, string? DataRoot)
{
    public static bool TryParse(string[] args, out DemoOptions options, out string problem)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        options = new DemoOptions("Debug", 2, null, null);
        var configuration = Value("--configuration", "Debug");
        if (configuration is not ("Debug" or "Release"))
        {
            problem = $"--configuration must be Debug or Release, not '{configuration}'";
            return false;
        }

        if (!int.TryParse(Value("--workers", "2"), NumberStyles.None, CultureInfo.InvariantCulture, out var workers) || workers > 16)
        {
            problem = "--workers must be a whole number from 0 to 16";
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

        options = new DemoOptions(configuration, workers, duration,
            Value("--data", "") is { Length: > 0 } data ? Path.GetFullPath(data) : null);
        problem = string.Empty;
        return true;
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
