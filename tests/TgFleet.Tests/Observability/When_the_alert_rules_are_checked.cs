using System.Text.RegularExpressions;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace TgFleet.Tests.Observability;

/// <summary>deploy/prometheus/tgfleet.rules.yaml through promtool, and against the mixin conventions and docs/operations.md.</summary>
[TestFixture, Category("Observability")]
public sealed partial class When_the_alert_rules_are_checked
{
    [Test]
    public async Task Promtool_accepts_them()
    {
        var (exit, output) = await Prometheus.PromtoolAsync("check", "rules", Prometheus.RulesFile);
        Assert.That(exit, Is.Zero, output);
    }

    [Test]
    public async Task Their_unit_tests_pass()
    {
        var (exit, output) = await Prometheus.PromtoolAsync("test", "rules", Prometheus.RulesTestFile);
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain("SUCCESS"));
    }

    [Test]
    public void Every_alert_has_a_test_that_fires_it_and_one_that_finds_it_silent()
    {
        var cases = ((YamlSequenceNode)Prometheus.LoadYaml(Prometheus.RulesTestFile)["tests"]).Cast<YamlMappingNode>()
            .Where(test => test.Children.ContainsKey("alert_rule_test"))
            .SelectMany(test => ((YamlSequenceNode)test["alert_rule_test"]).Cast<YamlMappingNode>())
            .Select(c => (Alert: Prometheus.Scalar(c, "alertname"), Fires: ((YamlSequenceNode)c["exp_alerts"]).Children.Count > 0))
            .ToList();

        foreach (var alert in Prometheus.Alerts().Select(a => Prometheus.Scalar(a, "alert")))
        {
            Assert.That(cases, Does.Contain((alert, true)), $"{alert} fires in a test");
            Assert.That(cases, Does.Contain((alert, false)), $"{alert} is silent in a test");
        }
    }

    [Test]
    public void Every_alert_follows_the_mixin_conventions_and_has_a_runbook_section()
    {
        var anchors = Heading().Matches(File.ReadAllText(Prometheus.OperationsDoc))
            .Select(m => m.Groups[1].Value.Trim().ToLowerInvariant()).ToHashSet();
        var alerts = Prometheus.Alerts();
        Assert.That(alerts, Is.Not.Empty);
        foreach (var alert in alerts)
        {
            var name = Prometheus.Scalar(alert, "alert");
            Assert.That(name, Does.Match("^TgFleet[A-Z][A-Za-z]+$"));
            Assert.That(Prometheus.Scalar(alert["labels"], "severity"), Is.AnyOf("critical", "warning", "info"), name);
            var annotations = alert["annotations"];
            Assert.That(Prometheus.Scalar(annotations, "summary"), Is.Not.Empty, name);
            Assert.That(Prometheus.Scalar(annotations, "description"), Is.Not.Empty, name);
            Assert.That(Prometheus.Scalar(annotations, "runbook_url"), Is.EqualTo(Prometheus.RunbookBase + "#" + name.ToLowerInvariant()), name);
            Assert.That(anchors, Does.Contain(name.ToLowerInvariant()), $"docs/operations.md has a section '### {name}'");
        }
    }

    [Test]
    public void Every_runbook_url_is_absolute_from_the_one_declared_repository_url()
    {
        Assert.That(Uri.TryCreate(Prometheus.RunbookBase, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps, Is.True, Prometheus.RunbookBase);
        foreach (var file in new[] { Prometheus.RulesFile, Prometheus.RulesTestFile })
        {
            // The alerts and their promtool tests (which compare the annotations) say the same.
            var text = File.ReadAllText(file);
            var expected = RunbookUrl().Replace(text, m => $"{m.Groups["key"].Value}{m.Groups["quote"].Value}{Prometheus.RunbookBase}#{m.Groups["anchor"].Value}{m.Groups["quote"].Value}");
            if (Environment.GetEnvironmentVariable("TGFLEET_UPDATE_DOCS") == "1")
            {
                File.WriteAllText(file, expected);
                text = expected;
            }

            Assert.That(RunbookUrl().Matches(text), Is.Not.Empty, file);
            Assert.That(text, Is.EqualTo(expected),
                $"{file}: a runbook_url is not {Prometheus.RunbookBase}#…; rewrite them with TGFLEET_UPDATE_DOCS=1 ./build.sh test --filter FullyQualifiedName~When_the_alert_rules_are_checked");
        }
    }

    [GeneratedRegex(@"^#{2,4} +(TgFleet\w+) *$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"(?<key>runbook_url: )(?<quote>""?)[^""\s]*#(?<anchor>tgfleet[a-z]+)\k<quote>")]
    private static partial Regex RunbookUrl();
}
