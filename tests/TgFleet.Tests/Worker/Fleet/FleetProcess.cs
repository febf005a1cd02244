using TgFleet.DevServers;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>
/// A real fleet process (the built dll of <c>src/NAME</c>, run with <c>dotnet</c>) on a free
/// loopback port, configured by environment variables only, tracked by the run's watchdog (through
/// <see cref="ProcessRun"/>) so that nothing outlives the test run: its start, readiness, signals
/// and output. <see cref="WorkerProcess"/> and the scheduler's process are this with their settings.
/// </summary>
internal class FleetProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    protected FleetProcess(string id, ProcessRun run, Uri baseUri)
    {
        Id = id;
        Run = run;
        BaseUri = baseUri;
    }

    /// <summary>Its name in the test (for a worker, its <c>Shards:WorkerId</c>).</summary>
    public string Id { get; }

    /// <summary>The process and its output.</summary>
    public ProcessRun Run { get; }

    /// <summary>Its HTTP address (health, metrics).</summary>
    public Uri BaseUri { get; }

    /// <summary>
    /// Starts <c>src/<paramref name="process"/></c>'s dll with <paramref name="environment"/> (its
    /// <c>Urls</c> and console log format added) and <paramref name="settings"/> over it.
    /// </summary>
    protected static (ProcessRun Run, Uri BaseUri) Launch(string process, Dictionary<string, string?> environment, IEnumerable<KeyValuePair<string, string?>>? settings)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var dll = Repository.ProcessDll(process);
        var port = FreePort.Next();
        environment["Urls"] = $"http://127.0.0.1:{port}";
        environment["Logging__Console__FormatterName"] = "simple";
        environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (key, value) in settings ?? [])
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var run = ProcessRun.Start("dotnet", [dll], workingDirectory: Path.GetDirectoryName(dll), environment: environment);
        return (run, new Uri($"http://127.0.0.1:{port}/"));
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200.</summary>
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

    /// <summary>Its <c>/metrics</c> text.</summary>
    public Task<string> MetricsAsync() => Http.GetStringAsync(new Uri(BaseUri, "metrics"));

    /// <summary>SIGTERM (a graceful stop); returns the exit code.</summary>
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
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Run.DisposeAsync();
    }
}
