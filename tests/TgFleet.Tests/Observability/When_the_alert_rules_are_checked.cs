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
            Assert.That(Prometheus.Scalar(annotations, "runbook_url"), Is.EqualTo("docs/operations.md#" + name.ToLowerInvariant()), name);
            Assert.That(anchors, Does.Contain(name.ToLowerInvariant()), $"docs/operations.md has a section '### {name}'");
        }
    }

    [GeneratedRegex(@"^#{2,4} +(TgFleet\w+) *$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
