using System.Globalization;
using System.Text.Json;
using TgFleet.DevServers;
using TgFleet.Testing;
using YamlDotNet.RepresentationModel;

namespace TgFleet.Tests.Observability;

/// <summary>
/// A throwaway Prometheus (Debian's binary) on a loopback port, scraping every second with the
/// scrape jobs of deploy/prometheus/prometheus.yml (their names and metrics paths; loopback
/// targets instead of compose's) and evaluating deploy/prometheus/tgfleet.rules.yaml. Queried
/// through its HTTP API. Tracked by the run's watchdog like every child process.
/// </summary>
internal sealed class LivePrometheus : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _root;

    private LivePrometheus(ProcessRun run, Uri baseUri, string root)
    {
        Run = run;
        BaseUri = baseUri;
        _root = root;
    }

    public ProcessRun Run { get; }

    public Uri BaseUri { get; }

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (job name → host:port list) and waits until it is ready.</summary>
    public static async Task<LivePrometheus> StartAsync(IReadOnlyDictionary<string, string[]> targets)
    {
        var root = TestInfrastructure.CreateTempDirectory("prometheus");
        var port = FreePort.Next();
        var deployed = Prometheus.LoadYaml(Path.Combine(Prometheus.Deploy, "prometheus", "prometheus.yml"));
        var jobs = ((YamlSequenceNode)deployed["scrape_configs"]).Cast<YamlMappingNode>()
            .Select(job => (Name: Prometheus.Scalar(job, "job_name"), Path: Prometheus.Scalar(job, "metrics_path")))
            .ToList();
        var missing = targets.Keys.Except(jobs.Select(j => j.Name)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"deploy/prometheus/prometheus.yml has no job {string.Join(", ", missing)}.");
        }

        // JSON is YAML: the configuration is written as JSON, no YAML emitter needed.
        var config = new
        {
            global = new { scrape_interval = "1s", scrape_timeout = "1s", evaluation_interval = "1s" },
            rule_files = new[] { Prometheus.RulesFile },
            scrape_configs = jobs.Where(j => targets.ContainsKey(j.Name)).Select(j => new
            {
                job_name = j.Name,
                metrics_path = j.Path,
                static_configs = new[] { new { targets = targets[j.Name] } },
            }),
        };
        var configFile = Path.Combine(root, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(config));
        var run = ProcessRun.Start(Prometheus.Binary("prometheus"),
        [
            "--config.file=" + configFile,
            "--storage.tsdb.path=" + Path.Combine(root, "data"),
            "--storage.tsdb.retention.time=1h",
            "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--log.level=warn",
        ], workingDirectory: root);
        var prometheus = new LivePrometheus(run, new Uri($"http://127.0.0.1:{port}/"), root);
        await Wait.UntilAsync(async () => run.HasExited || await prometheus.IsReadyAsync(), TimeSpan.FromSeconds(60), () => run.Output);
        if (run.HasExited)
        {
            throw new InvalidOperationException($"Prometheus exited with {run.ExitCode}:\n{run.Output}");
        }

        return prometheus;
    }

    /// <summary>An instant query; returns the result vector (empty: no data). Throws when Prometheus refuses the expression.</summary>
    public async Task<JsonElement[]> QueryAsync(string expression)
    {
        using var response = await Http.GetAsync(new Uri(BaseUri, "api/v1/query?query=" + Uri.EscapeDataString(expression)));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused '{expression}': {root.GetProperty("error").GetString()}");
        }

        var result = root.GetProperty("data").GetProperty("result");
        return result.ValueKind == JsonValueKind.Array ? result.EnumerateArray().Select(e => e.Clone()).ToArray() : [result.Clone()];
    }

    /// <summary>Every metric name Prometheus has stored.</summary>
    public async Task<HashSet<string>> MetricNamesAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(BaseUri, "api/v1/label/__name__/values")));
        return json.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Alerts pending or firing now: name → state.</summary>
    public async Task<IReadOnlyList<(string Name, string State, string Labels)>> AlertsAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(BaseUri, "api/v1/alerts")));
        return json.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Select(a => (a.GetProperty("labels").GetProperty("alertname").GetString()!, a.GetProperty("state").GetString()!, a.GetProperty("labels").ToString()))
            .ToList();
    }

    /// <summary>The scrape targets' health: job/instance → "up", "down" or "unknown".</summary>
    public async Task<IReadOnlyDictionary<string, string>> TargetsAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(BaseUri, "api/v1/targets")));
        return json.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .ToDictionary(t => t.GetProperty("labels").GetProperty("job").GetString() + "/" + t.GetProperty("labels").GetProperty("instance").GetString(),
                t => t.GetProperty("health").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        await Run.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // The run's sandbox clean-up removes it.
        }
    }

    private async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(BaseUri, "-/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
