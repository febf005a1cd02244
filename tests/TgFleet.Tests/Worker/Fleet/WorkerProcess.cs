using System.Globalization;
using TgFleet.DevServers;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>
/// A real <c>TgFleet.Worker</c> process (the built dll, run with <c>dotnet</c>) on a fleet's
/// database, virtual host and simulator, configured by environment variables only. Tracked by the
/// run's watchdog (through <see cref="ProcessRun"/>) so that nothing outlives the test run.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private WorkerProcess(string id, ProcessRun run, Uri baseUri)
    {
        Id = id;
        Run = run;
        BaseUri = baseUri;
    }

    /// <summary>Its worker id (<c>Shards:WorkerId</c>): the owner in <c>shard_leases</c>.</summary>
    public string Id { get; }

    /// <summary>The process and its output.</summary>
    public ProcessRun Run { get; }

    /// <summary>Its HTTP address (health, metrics).</summary>
    public Uri BaseUri { get; }

    /// <summary>Starts a worker named <paramref name="id"/> in <paramref name="fleet"/>; <paramref name="settings"/> override the defaults.</summary>
    public static WorkerProcess Start(FleetBed fleet, string id, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var dll = Repository.ProcessDll("Worker");
        var port = FreePort.Next();
        string Seconds(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Database__ConnectionString"] = fleet.Database.ConnectionString,
            ["RabbitMq__Uri"] = fleet.VirtualHost.AmqpUri.ToString(),
            ["Shards__Count"] = FleetBed.Shards.ToString(CultureInfo.InvariantCulture),
            ["Shards__WorkerId"] = id,
            ["Shards__LeaseTtl"] = Seconds(FleetBed.LeaseTtl),
            ["Shards__RenewInterval"] = Seconds(FleetBed.RenewInterval),
            ["Shards__FenceMargin"] = Seconds(FleetBed.FenceMargin),
            ["Telegram__Backend"] = "Simulator",
            ["Telegram__SimulatorUri"] = fleet.Sim.Server.BackendAddress.ToString(),
            ["Telegram__ApiId"] = "94575",
            ["Telegram__ApiHash"] = "a3406de8d171bb422bb6ddf3bbd800e2",
            ["Telegram__DataDirectory"] = Path.Combine(fleet.Root, id),
            ["Telegram__LoginStepTimeout"] = "00:00:10",
            ["Sessions__ActiveKeyId"] = "fleet-test",
            ["Sessions__Keys__fleet-test"] = fleet.SessionKey,
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        var run = ProcessRun.Start("dotnet", [dll], workingDirectory: Path.GetDirectoryName(dll), environment: environment);
        return new WorkerProcess(id, run, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200 (it has joined shard ownership).</summary>
    public async Task WaitUntilReadyAsync(TimeSpan deadline)
    {
        await Wait.UntilAsync(async () => Run.HasExited || await IsReadyAsync(), deadline, () => $"{Id} not ready. Output:\n{Run.Output}");
        if (Run.HasExited)
        {
            throw new InvalidOperationException($"{Id} exited with {Run.ExitCode} before it was ready. Output:\n{Run.Output}");
        }
    }

    /// <summary>Whether <c>/health/ready</c> answers 200 now.</summary>
    public async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(BaseUri, "health/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The sum of the samples of <paramref name="series"/> (Prometheus name) on <c>/metrics</c> whose
    /// labels contain <paramref name="label"/> (e.g. <c>outcome="handed_off"</c>); 0 when unreachable.
    /// </summary>
    public async Task<double> MetricAsync(string series, string label)
    {
        try
        {
            var text = await Http.GetStringAsync(new Uri(BaseUri, "metrics"));
            return text.Split('\n')
                .Where(line => line.StartsWith(series + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
                .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>SIGTERM (a graceful stop: hand the shards over); returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan deadline)
    {
        Signals.Send(Run.Pid, Signals.Terminate);
        return await Run.ExitAsync(deadline);
    }

    /// <summary>SIGKILL: the process dies at once, writing and releasing nothing.</summary>
    public async Task KillAsync()
    {
        Signals.Send(Run.Pid, Signals.KillNow);
        await Run.ExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>The last lines of its output (for failure messages).</summary>
    public string Tail(int lines = 40) =>
        $"--- {Id} ---\n" + string.Join('\n', Run.Output.Split('\n').TakeLast(lines));

    /// <summary>Kills it if it still runs.</summary>
    public ValueTask DisposeAsync() => Run.DisposeAsync();
}
