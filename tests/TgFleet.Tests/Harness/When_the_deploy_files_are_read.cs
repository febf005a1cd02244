using System.Text.RegularExpressions;
using NUnit.Framework;
using TgFleet.Testing;
using YamlDotNet.RepresentationModel;

namespace TgFleet.Tests.Harness;

/// <summary>deploy/ cannot run here (no Docker engine): it is checked against the code instead.</summary>
[TestFixture, Category("Harness")]
public sealed partial class When_the_deploy_files_are_read
{
    private static readonly string Deploy = Path.Combine(Repository.Root, "deploy");

    // The settings every fleet process requires (TgFleet.Hosting: DatabaseOptions, RabbitMqOptions).
    private static readonly string[] RequiredSettings = ["Database__ConnectionString", "RabbitMq__Uri"];

    // And those a worker requires besides (TelegramOptions, SessionOptions), which have no defaults.
    private static readonly string[] WorkerSettings = ["Telegram__ApiId", "Telegram__ApiHash", "Sessions__ActiveKeyId"];

    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Deploy, "compose.yaml"));
        yaml.Load(reader);
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
    }

    [TestCase("worker", "Worker")]
    [TestCase("scheduler", "Scheduler")]
    public void Each_fleet_service_builds_from_the_pack_output_of_its_process(string service, string project)
    {
        var build = (YamlMappingNode)((YamlMappingNode)Services()[service])["build"];
        var dockerfile = Path.Combine(Repository.Root, ((YamlScalarNode)build["dockerfile"]).Value!);
        Assert.That(File.Exists(dockerfile), Is.True, dockerfile);

        var text = File.ReadAllText(dockerfile);
        // build.cake's Pack publishes src/<Project> to artifacts/publish/<project in lower case>.
        Assert.That(text, Does.Contain($"COPY artifacts/publish/{project.ToLowerInvariant()}/ /app/"));
        Assert.That(text, Does.Contain($"ENTRYPOINT [\"/app/TgFleet.{project}\"]"));
        Assert.That(File.ReadAllText(Path.Combine(Repository.Root, "build.cake")), Does.Contain($"\"{project}\""), "Pack publishes it");
        Assert.That(HealthPath().Match(text).Groups[1].Value, Is.EqualTo("/health/live"));
    }

    [TestCase("worker")]
    [TestCase("scheduler")]
    public void Each_fleet_service_sets_every_required_setting(string service)
    {
        var environment = (YamlMappingNode)((YamlMappingNode)Services()[service])["environment"];
        var keys = environment.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value).ToArray();

        Assert.That(keys, Is.SupersetOf(RequiredSettings));
        var amqp = ((YamlScalarNode)environment["RabbitMq__Uri"]).Value!;
        Assert.That(amqp, Does.StartWith("amqp://"));
    }

    [Test]
    public void The_workers_have_their_Telegram_and_session_key_settings()
    {
        var environment = (YamlMappingNode)((YamlMappingNode)Services()["worker"])["environment"];
        var keys = environment.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!).ToArray();

        Assert.That(keys, Is.SupersetOf(WorkerSettings));
        var active = ((YamlScalarNode)environment["Sessions__ActiveKeyId"]).Value;
        Assert.That(keys, Does.Contain("Sessions__Keys__" + active), "the active session key is configured");
    }

    [Test]
    public void The_fleet_services_wait_for_healthy_servers()
    {
        foreach (var service in new[] { "worker", "scheduler" })
        {
            var dependsOn = (YamlMappingNode)((YamlMappingNode)Services()[service])["depends_on"];
            foreach (var server in new[] { "postgres", "rabbitmq" })
            {
                Assert.That(((YamlScalarNode)((YamlMappingNode)dependsOn[server])["condition"]).Value, Is.EqualTo("service_healthy"), $"{service} → {server}");
            }
        }
    }

    [GeneratedRegex(@"GET (/health/\w+) HTTP")]
    private static partial Regex HealthPath();
}
