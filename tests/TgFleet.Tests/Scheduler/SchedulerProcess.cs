using System.Globalization;
using TgFleet.DevServers;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Scheduler;

/// <summary>
/// A real <c>TgFleet.Scheduler</c> process on a fleet's database and virtual host, configured by
/// environment variables only (short intervals for tests), tracked by the run's watchdog.
/// </summary>
internal sealed class SchedulerProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private SchedulerProcess(string id, ProcessRun run, Uri baseUri)
    {
        Id = id;
        Run = run;
        BaseUri = baseUri;
    }

    public string Id { get; }

    public ProcessRun Run { get; }

    public Uri BaseUri { get; }

    /// <summary>Starts a scheduler replica named <paramref name="id"/>; <paramref name="settings"/> override the test defaults.</summary>
    public static SchedulerProcess Start(FleetBed fleet, string id, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = Repository.ProcessDll("Scheduler");
        var port = FreePort.Next();
        var environment = new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Database__ConnectionString"] = fleet.Database.ConnectionString,
            ["RabbitMq__Uri"] = fleet.VirtualHost.AmqpUri.ToString(),
            ["Campaigns__ShardCount"] = FleetBed.Shards.ToString(CultureInfo.InvariantCulture),
            ["Campaigns__DispatchInterval"] = "00:00:00.250",
            ["Campaigns__AdvanceInterval"] = "00:00:00.250",
            ["Campaigns__CompletionGrace"] = "00:00:01",
            ["Campaigns__ResendAfter"] = "00:00:15",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var run = ProcessRun.Start("dotnet", [dll], workingDirectory: Path.GetDirectoryName(dll), environment: environment);
        return new SchedulerProcess(id, run, new Uri($"http://127.0.0.1:{port}/"));
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

    private async Task<bool> IsReadyAsync()
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

    /// <summary>SIGKILL: it dies at once.</summary>
    public async Task KillAsync()
    {
        Signals.Send(Run.Pid, Signals.KillNow);
        await Run.ExitAsync(TimeSpan.FromSeconds(10));
    }

    public string Tail(int lines = 40) => $"--- {Id} ---\n" + string.Join('\n', Run.Output.Split('\n').TakeLast(lines));

    public ValueTask DisposeAsync() => Run.DisposeAsync();
}
