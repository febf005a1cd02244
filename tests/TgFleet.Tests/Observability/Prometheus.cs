using TgFleet.Testing;
using YamlDotNet.RepresentationModel;

namespace TgFleet.Tests.Observability;

/// <summary>Debian's Prometheus and promtool (installed by build.sh), and the rules in deploy/prometheus.</summary>
internal static class Prometheus
{
    public static readonly string Deploy = Path.Combine(Repository.Root, "deploy");

    public static readonly string RulesFile = Path.Combine(Deploy, "prometheus", "tgfleet.rules.yaml");

    public static readonly string RulesTestFile = Path.Combine(Deploy, "prometheus", "tgfleet.rules.test.yaml");

    public static readonly string DashboardFile = Path.Combine(Deploy, "grafana", "dashboards", "tgfleet-fleet.json");

    public static readonly string OperationsDoc = Path.Combine(Repository.Root, "docs", "operations.md");

    /// <summary>
    /// The base of every alert's <c>runbook_url</c>: docs/operations.md in the repository that
    /// <c>RepositoryUrl</c> (Directory.Build.props, the one place it is declared) names.
    /// </summary>
    public static string RunbookBase =>
        System.Xml.Linq.XDocument.Load(Path.Combine(Repository.Root, "Directory.Build.props")).Descendants("RepositoryUrl").Single().Value.Trim().TrimEnd('/')
        + "/blob/main/docs/operations.md";

    /// <summary>The directory holding <c>prometheus</c> and <c>promtool</c>: <c>TGFLEET_PROMETHEUS_BIN</c>, else /usr/bin.</summary>
    public static string BinDirectory =>
        Environment.GetEnvironmentVariable("TGFLEET_PROMETHEUS_BIN") is { Length: > 0 } bin ? bin : "/usr/bin";

    public static string Binary(string name)
    {
        var path = Path.Combine(BinDirectory, name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{name} is not installed ({path}); ./build.sh installs Debian's prometheus package.", path);
    }

    /// <summary>Runs promtool with <paramref name="args"/>; returns its exit code and output.</summary>
    public static async Task<(int Exit, string Output)> PromtoolAsync(params string[] args)
    {
        await using var run = ProcessRun.Start(Binary("promtool"), args, workingDirectory: Path.Combine(Deploy, "prometheus"));
        var exit = await run.ExitAsync(TimeSpan.FromMinutes(2));
        return (exit, run.Output);
    }

    public static YamlMappingNode LoadYaml(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    /// <summary>Every rule of the rules file (alerts and recordings) with its group.</summary>
    public static IReadOnlyList<YamlMappingNode> Rules() =>
        ((YamlSequenceNode)LoadYaml(RulesFile)["groups"]).Cast<YamlMappingNode>()
            .SelectMany(group => ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            .ToList();

    public static IReadOnlyList<YamlMappingNode> Alerts() => Rules().Where(r => r.Children.ContainsKey("alert")).ToList();

    public static string Scalar(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(key, out var value) ? ((YamlScalarNode)value).Value ?? string.Empty : string.Empty;
}
