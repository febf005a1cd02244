using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using TgFleet.Contracts.Addressing;
using TgFleet.Testing;
using TgFleet.Worker;
using YamlDotNet.RepresentationModel;

namespace TgFleet.Tests.Harness;

/// <summary>
/// deploy/ cannot run here (no Docker engine, no cluster): compose, the Dockerfiles, the
/// Prometheus and Grafana provisioning and the Kubernetes manifests are loaded and checked against
/// the code's settings, ports, endpoints and shutdown timeout instead.
/// </summary>
[TestFixture, Category("Harness")]
public sealed partial class When_the_deploy_files_are_read
{
    private static readonly string Deploy = Path.Combine(Repository.Root, "deploy");

    // The settings every fleet process requires (TgFleet.Hosting: DatabaseOptions, RabbitMqOptions).
    private static readonly string[] RequiredSettings = ["Database__ConnectionString", "RabbitMq__Uri"];

    // And those a worker requires besides (TelegramOptions, SessionOptions), which have no defaults.
    private static readonly string[] WorkerSettings = ["Telegram__ApiId", "Telegram__ApiHash", "Sessions__ActiveKeyId"];

    // Each fleet image: its compose service, its project, its port and the health path its HEALTHCHECK asks.
    private static readonly (string Service, string Project, int Port, string Health)[] Images =
    [
        ("worker", "Worker", 8080, "/health/live"),
        ("scheduler", "Scheduler", 8090, "/health/live"),
        ("simulator", "Simulator", 5080, "/health"),
    ];

    private static YamlMappingNode Load(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static List<YamlMappingNode> LoadAll(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(path);
        yaml.Load(reader);
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Services() => (YamlMappingNode)Load(Path.Combine(Deploy, "compose.yaml"))["services"];

    private static YamlMappingNode Service(string name) => (YamlMappingNode)Services()[name];

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;

    private static YamlNode? Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(key, out var next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    /// <summary>A compose environment with its YAML merge keys (<c>&lt;&lt;: *anchor</c>) resolved.</summary>
    private static Dictionary<string, string> Environment(string service)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(YamlMappingNode map)
        {
            foreach (var (key, value) in map.Children)
            {
                if (Text(key) == "<<")
                {
                    Add((YamlMappingNode)value);
                }
                else
                {
                    result[Text(key)] = Text(value);
                }
            }
        }

        Add((YamlMappingNode)Service(service)["environment"]);
        return result;
    }

    private static string Dockerfile(string service) =>
        File.ReadAllText(Path.Combine(Repository.Root, Text(Get(Service(service), "build", "dockerfile")!)));

    /// <summary>The part of a Dockerfile after its last FROM: what the image runs.</summary>
    private static string RuntimeStage(string dockerfile) => dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

    [Test]
    public void Each_image_is_built_in_stages_from_its_project_and_runs_it_as_a_user()
    {
        foreach (var (service, project, port, health) in Images)
        {
            var build = (YamlMappingNode)Service(service)["build"];
            Assert.That(Text(build["context"]), Is.EqualTo(".."), $"{service}: the repository root is the build context");
            var text = Dockerfile(service);
            Assert.That(FromLine().Matches(text), Has.Count.GreaterThanOrEqualTo(2), $"{service}: multi-stage");
            var csproj = $"src/{project}/TgFleet.{project}.csproj";
            Assert.That(File.Exists(Path.Combine(Repository.Root, csproj)), Is.True, csproj);
            Assert.That(text, Does.Contain($"dotnet publish {csproj} "), service);
            var runtime = RuntimeStage(text);
            Assert.That(runtime, Does.Contain("runtime-deps"), $"{service}: a small runtime image");
            Assert.That(runtime, Does.Contain("COPY --from=build "), $"{service}: only the published files");
            Assert.That(UserLine().Match(runtime).Groups[1].Value, Is.Not.Empty.And.Not.EqualTo("root").And.Not.StartWith("0"), $"{service}: not root");
            Assert.That(runtime, Does.Contain($"ENTRYPOINT [\"/app/TgFleet.{project}\""));
            Assert.That(HealthPath().Match(runtime).Groups[1].Value, Is.EqualTo(health), service);
            Assert.That(runtime, Does.Contain($"EXPOSE {port}"), service);
        }
    }

    [Test]
    public void The_worker_image_places_libtdjson_from_the_pinned_package()
    {
        var text = Dockerfile("worker");
        Assert.That(text, Does.Contain("RUN native/tdlib/place-libtdjson.sh"));
        Assert.That(text.IndexOf("place-libtdjson.sh", StringComparison.Ordinal), Is.LessThan(text.IndexOf("dotnet publish", StringComparison.Ordinal)),
            "placed before the publish, which copies it next to the application");
        var placer = File.ReadAllText(Path.Combine(Repository.Root, "native", "tdlib", "place-libtdjson.sh"));
        Assert.That(placer, Does.Contain("libtdjson.lock").And.Contain("integrity mismatch"), "the script checks the lock's integrity");
    }

    [Test]
    public void The_images_listen_where_compose_and_Prometheus_look()
    {
        var prometheus = Load(Path.Combine(Deploy, "prometheus", "prometheus.yml"));
        var jobs = ((YamlSequenceNode)prometheus["scrape_configs"]).Cast<YamlMappingNode>().ToDictionary(j => Text(j["job_name"]));
        foreach (var (service, _, port, _) in Images)
        {
            var runtime = RuntimeStage(Dockerfile(service));
            if (service != "simulator")
            {
                Assert.That(runtime, Does.Contain($"Urls=http://0.0.0.0:{port}"), service);
            }
            else
            {
                Assert.That(runtime, Does.Contain($"\"--urls\", \"http://0.0.0.0:{port}\""), service);
            }

            var exposed = ((YamlSequenceNode)Service(service)["expose"]).Select(Text);
            Assert.That(exposed, Does.Contain(port.ToString(System.Globalization.CultureInfo.InvariantCulture)), service);
            var job = jobs["tgfleet-" + service];
            Assert.That(Text(job["metrics_path"]), Is.EqualTo("/metrics"));
            var targets = job.Children.ContainsKey("dns_sd_configs")
                ? ((YamlSequenceNode)job["dns_sd_configs"]).Cast<YamlMappingNode>().Select(c => $"{Text(((YamlSequenceNode)c["names"])[0])}:{Text(c["port"])}")
                : ((YamlSequenceNode)job["static_configs"]).Cast<YamlMappingNode>().SelectMany(c => ((YamlSequenceNode)c["targets"]).Select(Text));
            Assert.That(targets, Does.Contain($"{service}:{port}"), $"Prometheus scrapes {service}");
        }

        var rabbit = jobs["rabbitmq"];
        Assert.That(Text(rabbit["metrics_path"]), Is.EqualTo("/metrics/per-object"), "per-queue depth");
        Assert.That(string.Join(' ', ((YamlSequenceNode)Service("rabbitmq")["command"]).Select(Text)), Does.Contain("enable --offline rabbitmq_prometheus"));
    }

    [TestCase("worker")]
    [TestCase("scheduler")]
    public void Each_fleet_service_sets_every_required_setting(string service)
    {
        var environment = Environment(service);
        Assert.That(environment.Keys, Is.SupersetOf(RequiredSettings));
        Assert.That(environment["RabbitMq__Uri"], Does.StartWith("amqp://"));
        Assert.That(environment["Logging__Console__FormatterName"], Is.EqualTo("json"));
    }

    [Test]
    public void The_workers_have_their_Telegram_and_session_key_settings_and_reach_the_simulator()
    {
        var environment = Environment("worker");
        Assert.That(environment.Keys, Is.SupersetOf(WorkerSettings));
        Assert.That(environment.Keys, Does.Contain("Sessions__Keys__" + environment["Sessions__ActiveKeyId"]), "the active session key is configured");
        var key = KeyDefault().Match(environment["Sessions__Keys__" + environment["Sessions__ActiveKeyId"]]).Groups[1].Value;
        Assert.That(Convert.FromBase64String(key), Has.Length.EqualTo(32), "the development key is 32 bytes");
        var simulator = new Uri(environment["Telegram__SimulatorUri"]);
        Assert.That((simulator.Scheme, simulator.Host, simulator.Port, simulator.AbsolutePath), Is.EqualTo(("ws", "simulator", 5080, "/backend")));
        Assert.That(environment["Telegram__Backend"], Does.Contain("Simulator"));
        Assert.That(Text(Get(Service("worker"), "deploy", "replicas")!), Is.EqualTo("2"));
    }

    [Test]
    public void The_fleet_services_wait_for_healthy_servers()
    {
        foreach (var service in new[] { "worker", "scheduler" })
        {
            foreach (var server in new[] { "postgres", "rabbitmq" })
            {
                Assert.That(Text(Get(Service(service), "depends_on", server, "condition")!), Is.EqualTo("service_healthy"), $"{service} → {server}");
            }
        }

        Assert.That(Text(Get(Service("worker"), "depends_on", "simulator", "condition")!), Is.EqualTo("service_healthy"));
    }

    [Test]
    public void The_stop_grace_period_is_longer_than_the_workers_hand_over()
    {
        var handOver = WorkerShutdownTimeout();
        Assert.That(handOver, Is.GreaterThan(TimeSpan.FromSeconds(30)), "longer than .NET's default");
        var grace = TimeSpan.FromSeconds(int.Parse(Text(Service("worker")["stop_grace_period"]).TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(grace, Is.GreaterThan(handOver));
        Assert.That(K8s("worker", "Deployment") is { } worker ? int.Parse(Text(Get(worker, "spec", "template", "spec", "terminationGracePeriodSeconds")!), System.Globalization.CultureInfo.InvariantCulture) : 0,
            Is.GreaterThan((int)handOver.TotalSeconds), "terminationGracePeriodSeconds");
    }

    [Test]
    public void Prometheus_and_Grafana_are_provisioned_with_the_rules_and_the_dashboard()
    {
        var prometheus = Service("prometheus");
        var mounts = ((YamlSequenceNode)prometheus["volumes"]).Select(Text).ToList();
        foreach (var mount in mounts.Where(m => m.StartsWith("./", StringComparison.Ordinal)))
        {
            var source = mount.Split(':')[0];
            Assert.That(Path.Exists(Path.Combine(Deploy, source)), Is.True, mount);
        }

        var config = Load(Path.Combine(Deploy, "prometheus", "prometheus.yml"));
        foreach (var rules in ((YamlSequenceNode)config["rule_files"]).Select(Text))
        {
            Assert.That(mounts.Any(m => m.EndsWith(":" + rules + ":ro", StringComparison.Ordinal) && File.Exists(Path.Combine(Deploy, m.Split(':')[0]))), Is.True, $"{rules} is mounted from deploy/");
        }

        var grafana = ((YamlSequenceNode)Service("grafana")["volumes"]).Select(Text).ToList();
        Assert.That(grafana, Does.Contain("./grafana/provisioning:/etc/grafana/provisioning:ro"));
        var dashboards = Load(Path.Combine(Deploy, "grafana", "provisioning", "dashboards", "tgfleet.yaml"));
        var path = Text(Get(((YamlSequenceNode)dashboards["providers"])[0], "options", "path")!);
        Assert.That(grafana, Does.Contain("./grafana/dashboards:" + path + ":ro"));
        var datasource = (YamlMappingNode)((YamlSequenceNode)Load(Path.Combine(Deploy, "grafana", "provisioning", "datasources", "prometheus.yaml"))["datasources"])[0];
        Assert.That(Text(datasource["url"]), Is.EqualTo("http://prometheus:9090"));
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana", "dashboards", "tgfleet-fleet.json")));
        var uids = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("datasource", out _)).Select(p => p.GetProperty("datasource").GetProperty("uid").GetString()).Distinct();
        Assert.That(uids, Is.EquivalentTo(new[] { Text(datasource["uid"]) }), "every panel uses the provisioned data source");
    }

    // ---------------------------------------------------------------- Kubernetes

    private static readonly string K8sRoot = Path.Combine(Deploy, "k8s");

    // The lists of a kustomization that name files.
    private static readonly string[] KustomizationLists = ["resources", "patches"];

    // Where the fleet's Deployments take their settings from.
    private static readonly string[] EnvironmentSources = ["tgfleet-config", "tgfleet-secrets"];

    /// <summary>Every resource of the base (as kustomize would list them).</summary>
    private static List<YamlMappingNode> K8sResources()
    {
        var kustomization = Load(Path.Combine(K8sRoot, "base", "kustomization.yaml"));
        return ((YamlSequenceNode)kustomization["resources"]).Select(Text)
            .SelectMany(file => LoadAll(Path.Combine(K8sRoot, "base", file))).ToList();
    }

    private static YamlMappingNode? K8s(string name, string kind) =>
        K8sResources().SingleOrDefault(r => Text(r["kind"]) == kind && Text(Get(r, "metadata", "name")!) == name);

    private static YamlMappingNode Container(YamlMappingNode deployment) =>
        (YamlMappingNode)((YamlSequenceNode)Get(deployment, "spec", "template", "spec", "containers")!)[0];

    [Test]
    public void Every_kustomization_names_files_that_exist_and_parse()
    {
        foreach (var kustomization in Directory.GetFiles(K8sRoot, "kustomization.yaml", SearchOption.AllDirectories))
        {
            var dir = Path.GetDirectoryName(kustomization)!;
            var root = Load(kustomization);
            var files = KustomizationLists.Where(key => root.Children.ContainsKey(key))
                .SelectMany(key => ((YamlSequenceNode)root[key]).Select(n => n is YamlScalarNode s ? s.Value! : Text(n["path"])));
            foreach (var file in files)
            {
                var path = Path.GetFullPath(Path.Combine(dir, file));
                Assert.That(File.Exists(path) || File.Exists(Path.Combine(path, "kustomization.yaml")), Is.True, $"{kustomization}: {file}");
                if (File.Exists(path))
                {
                    Assert.That(LoadAll(path).All(d => d.Children.ContainsKey("kind") && d.Children.ContainsKey("apiVersion")), Is.True, path);
                }
            }
        }
    }

    [Test]
    public void The_worker_Deployment_probes_the_endpoints_the_worker_maps_on_its_port()
    {
        var worker = K8s("worker", "Deployment")!;
        var container = Container(worker);
        Assert.That(Text(container["image"]), Does.StartWith("tgfleet/worker"));
        var port = (YamlMappingNode)((YamlSequenceNode)container["ports"])[0];
        Assert.That(Text(port["containerPort"]), Is.EqualTo("8080"));
        Assert.That(Text(Get(container, "readinessProbe", "httpGet", "path")!), Is.EqualTo("/health/ready"));
        Assert.That(Text(Get(container, "livenessProbe", "httpGet", "path")!), Is.EqualTo("/health/live"));
        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
        {
            Assert.That(Text(Get(container, probe, "httpGet", "port")!), Is.EqualTo(Text(port["name"])), probe);
        }

        Assert.That(Get(container, "resources", "requests", "memory"), Is.Not.Null);
        Assert.That(Get(container, "resources", "limits", "memory"), Is.Not.Null);
        var env = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => Text(e["name"]));
        Assert.That(Text(env["Urls"]["value"]), Is.EqualTo("http://0.0.0.0:8080"));
        Assert.That(Text(Get(env["Shards__WorkerId"], "valueFrom", "fieldRef", "fieldPath")!), Is.EqualTo("metadata.name"));
        var mounts = ((YamlSequenceNode)container["volumeMounts"]).Select(m => Text(m["mountPath"]));
        Assert.That(mounts, Does.Contain(ConfigMap()["Telegram__DataDirectory"]), "the TDLib directories are writable");
        Assert.That(Text(Get(container, "securityContext", "readOnlyRootFilesystem")!), Is.EqualTo("true"));
        Assert.That(Text(Get(worker, "spec", "template", "spec", "securityContext", "runAsNonRoot")!), Is.EqualTo("true"));
    }

    private static Dictionary<string, string> ConfigMap() =>
        ((YamlMappingNode)K8s("tgfleet-config", "ConfigMap")!["data"]).Children.ToDictionary(c => Text(c.Key), c => Text(c.Value));

    [Test]
    public void The_ConfigMap_holds_only_settings_the_code_binds_and_the_Secrets_are_referenced_not_included()
    {
        var sections = typeof(WorkerMetrics).Assembly.GetTypes().Concat(typeof(TgFleet.Tdlib.TdlibOptions).Assembly.GetTypes())
            .Concat(typeof(TgFleet.Hosting.FleetDefaults).Assembly.GetTypes())
            .Select(t => (Type: t, Section: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string
                ?? t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
            .Where(x => x.Section is not null)
            .ToDictionary(x => x.Section!, x => x.Type);
        foreach (var key in ConfigMap().Keys.Where(k => !k.StartsWith("Logging__", StringComparison.Ordinal)))
        {
            var parts = key.Split("__");
            Assert.That(sections.TryGetValue(parts[0], out var options), Is.True, $"{key}: section {parts[0]} is bound");
            Assert.That(options!.GetProperty(parts[1]), Is.Not.Null, $"{key}: {options.Name}.{parts[1]} exists");
        }

        Assert.That(int.Parse(ConfigMap()["Shards__Count"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(ShardAddressing.DefaultShardCount));
        Assert.That(K8sResources().Where(r => Text(r["kind"]) == "Secret"), Is.Empty, "no Secret is committed");
        foreach (var name in new[] { "worker", "scheduler" })
        {
            var refs = ((YamlSequenceNode)Container(K8s(name, "Deployment")!)["envFrom"]).Cast<YamlMappingNode>()
                .Select(r => Text(Get(r, "configMapRef", "name") ?? Get(r, "secretRef", "name")!)).ToList();
            Assert.That(refs, Is.EquivalentTo(EnvironmentSources), name);
        }

        var example = File.ReadAllLines(Path.Combine(K8sRoot, "secrets.env.example")).Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split('=')[0]).ToList();
        Assert.That(example, Is.SupersetOf(RequiredSettings.Concat(WorkerSettings)));
        Assert.That(example, Has.All.Match("^[A-Za-z_][A-Za-z0-9_]*$"), "every key is a valid environment variable name");
    }

    [Test]
    public void The_scheduler_runs_two_replicas_and_the_PDB_and_Services_select_the_pods()
    {
        var scheduler = K8s("scheduler", "Deployment")!;
        Assert.That(Text(Get(scheduler, "spec", "replicas")!), Is.EqualTo("2"));
        Assert.That(Text(Get(Container(scheduler), "readinessProbe", "httpGet", "path")!), Is.EqualTo("/health/ready"));
        Assert.That(Text(((YamlMappingNode)((YamlSequenceNode)Container(scheduler)["ports"])[0])["containerPort"]), Is.EqualTo("8090"));
        foreach (var (selector, deployment) in new[]
        {
            (Get(K8s("worker", "PodDisruptionBudget")!, "spec", "selector", "matchLabels"), "worker"),
            (Get(K8s("worker", "Service")!, "spec", "selector"), "worker"),
            (Get(K8s("scheduler", "Service")!, "spec", "selector"), "scheduler"),
        })
        {
            var labels = (YamlMappingNode)Get(K8s(deployment, "Deployment")!, "spec", "template", "metadata", "labels")!;
            foreach (var (key, value) in ((YamlMappingNode)selector!).Children)
            {
                Assert.That(Text(labels[key]), Is.EqualTo(Text(value)), $"{deployment}: {Text(key)}");
            }
        }
    }

    [Test]
    public void KEDA_scales_the_workers_on_the_shard_queues_within_the_shard_count()
    {
        var scaled = K8s("worker", "ScaledObject")!;
        Assert.That(Text(Get(scaled, "spec", "scaleTargetRef", "name")!), Is.EqualTo("worker"));
        var min = int.Parse(Text(Get(scaled, "spec", "minReplicaCount")!), System.Globalization.CultureInfo.InvariantCulture);
        var max = int.Parse(Text(Get(scaled, "spec", "maxReplicaCount")!), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(min, Is.GreaterThanOrEqualTo(2), "a worker's shards always have somewhere to go");
        Assert.That(max, Is.GreaterThan(min).And.LessThanOrEqualTo(ShardAddressing.DefaultShardCount), "never more workers than shards");
        var trigger = (YamlMappingNode)((YamlSequenceNode)Get(scaled, "spec", "triggers")!)[0];
        Assert.That(Text(trigger["type"]), Is.EqualTo("rabbitmq"));
        var metadata = (YamlMappingNode)trigger["metadata"];
        Assert.That(Text(metadata["protocol"]), Is.EqualTo("http"), "per-queue depth needs the management API");
        Assert.That(Text(metadata["useRegex"]), Is.EqualTo("true"));
        Assert.That(Text(metadata["operation"]), Is.EqualTo("sum"));
        var queues = new Regex(Text(metadata["queueName"]));
        Assert.That(Enumerable.Range(0, ShardAddressing.DefaultShardCount).Select(ShardAddressing.QueueName), Has.All.Match(queues.ToString()));
        Assert.That(queues.IsMatch(QueryAddressing.QueueName), Is.False, "the query queue is not a backlog of commands");
        var auth = K8s(Text(Get(trigger, "authenticationRef", "name")!), "TriggerAuthentication");
        Assert.That(auth, Is.Not.Null, "its TriggerAuthentication is in the base");
        Assert.That(Text(((YamlMappingNode)((YamlSequenceNode)Get(auth!, "spec", "secretTargetRef")!)[0])["parameter"]), Is.EqualTo("host"));

        var overlay = Load(Path.Combine(K8sRoot, "overlays", "production", "worker-scaling.yaml"));
        Assert.That(int.Parse(Text(Get(overlay, "spec", "maxReplicaCount")!), System.Globalization.CultureInfo.InvariantCulture), Is.LessThanOrEqualTo(ShardAddressing.DefaultShardCount));
    }

    private static TimeSpan WorkerShutdownTimeout()
    {
        var builder = WebApplication.CreateBuilder();
        builder.AddWorker();
        using var app = builder.Build();
        return app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
    }

    [GeneratedRegex(@"GET (/health[/\w]*) HTTP")]
    private static partial Regex HealthPath();

    [GeneratedRegex(@"^FROM ", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^USER (\S+)", RegexOptions.Multiline)]
    private static partial Regex UserLine();

    [GeneratedRegex(@"^\$\{[A-Z_]+:-([^}]+)\}$")]
    private static partial Regex KeyDefault();
}
