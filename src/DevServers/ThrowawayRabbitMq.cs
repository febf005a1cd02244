using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace TgFleet.DevServers;

/// <summary>
/// A RabbitMQ node (Debian's 3.10) on free loopback ports with its own node name, epmd, mnesia,
/// logs and Erlang cookie in a sandbox; the management API is on so that virtual hosts are
/// created in milliseconds, and the Prometheus plugin so that a test can scrape queue depths.
/// Gone when disposed.
/// </summary>
public sealed class ThrowawayRabbitMq : IAsyncDisposable
{
    /// <summary>The default user, allowed here because everything listens on loopback only.</summary>
    public const string User = "guest";

    /// <summary>The default user's password.</summary>
    public const string Password = "guest";

    private static readonly string RabbitBin =
        Environment.GetEnvironmentVariable("TGFLEET_RABBITMQ_BIN") is { Length: > 0 } dir ? dir : "/usr/lib/rabbitmq/bin";

    private readonly Process _server;
    private readonly Process _epmd;
    private readonly HttpClient _http;
    private Dictionary<string, string> _environment = [];

    private ThrowawayRabbitMq(Process server, Process epmd, int amqpPort, int managementPort, int prometheusPort, string nodeName)
    {
        _server = server;
        _epmd = epmd;
        AmqpPort = amqpPort;
        ManagementPort = managementPort;
        PrometheusPort = prometheusPort;
        NodeName = nodeName;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}/api/") };
        _http.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{User}:{Password}")));
    }

    /// <summary>The AMQP port on 127.0.0.1.</summary>
    public int AmqpPort { get; }

    /// <summary>The management HTTP port on 127.0.0.1.</summary>
    public int ManagementPort { get; }

    /// <summary>The Prometheus plugin's port on 127.0.0.1 (<c>/metrics</c>, <c>/metrics/per-object</c>).</summary>
    public int PrometheusPort { get; }

    /// <summary>The Erlang node name (unique per instance).</summary>
    public string NodeName { get; }

    /// <summary>An amqp:// URI for <paramref name="virtualHost"/>.</summary>
    public Uri AmqpUri(string virtualHost = "/") =>
        new($"amqp://{User}:{Password}@127.0.0.1:{AmqpPort}/{Uri.EscapeDataString(virtualHost)}");

    /// <summary>Starts a node in <paramref name="sandbox"/> and waits until it serves AMQP.</summary>
    public static async Task<ThrowawayRabbitMq> StartAsync(Sandbox sandbox, int? amqpPort = null, CancellationToken cancellationToken = default)
    {
        var serverScript = Path.Combine(RabbitBin, "rabbitmq-server");
        var epmdBinary = FindEpmd();
        if (!File.Exists(serverScript) || epmdBinary is null)
        {
            throw new InvalidOperationException(
                $"RabbitMQ was not found ({serverScript}, epmd; set TGFLEET_RABBITMQ_BIN). './build.sh' installs Debian's rabbitmq-server package.");
        }

        var port = amqpPort ?? FreePort.Next();
        FreePort.EnsureFree(port, "RabbitMQ (AMQP)");
        var managementPort = FreePort.Next();
        var prometheusPort = FreePort.Next();
        var distPort = FreePort.Next();
        var epmdPort = FreePort.Next();
        var nodeName = $"tgfleet-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}@localhost";
        var home = sandbox.SubDirectory("rabbitmq-home");
        var config = Path.Combine(sandbox.Path, "rabbitmq.conf");
        await File.WriteAllTextAsync(config, $"""
            listeners.tcp.default = 127.0.0.1:{port}
            management.tcp.ip = 127.0.0.1
            management.tcp.port = {managementPort}
            prometheus.tcp.ip = 127.0.0.1
            prometheus.tcp.port = {prometheusPort}
            loopback_users = none
            log.file.level = warning
            log.console = false
            """, cancellationToken);
        var plugins = Path.Combine(sandbox.Path, "rabbitmq-plugins");
        await File.WriteAllTextAsync(plugins, "[rabbitmq_management,rabbitmq_prometheus].", cancellationToken);
        var envFile = Path.Combine(sandbox.Path, "rabbitmq-env.conf");
        await File.WriteAllTextAsync(envFile, string.Empty, cancellationToken);

        var environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["RABBITMQ_NODENAME"] = nodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(CultureInfo.InvariantCulture),
            ["ERL_EPMD_PORT"] = epmdPort.ToString(CultureInfo.InvariantCulture),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_MNESIA_BASE"] = sandbox.SubDirectory("rabbitmq-mnesia"),
            ["RABBITMQ_LOG_BASE"] = sandbox.SubDirectory("rabbitmq-log"),
            ["RABBITMQ_CONFIG_FILE"] = config,
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(sandbox.Path, "rabbitmq-advanced.config"),
            ["RABBITMQ_CONF_ENV_FILE"] = envFile,
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins,
            ["RABBITMQ_PID_FILE"] = Path.Combine(sandbox.Path, "rabbitmq.pid"),
            // A killed node writes a crash dump; keep it in the sandbox, never in the caller's folder.
            ["ERL_CRASH_DUMP"] = Path.Combine(sandbox.Path, "erl_crash.dump"),
            // The distribution listener on loopback too.
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };

        // Our own epmd, in the foreground, so that we know its pid and nothing is left behind.
        var epmd = Commands.StartServer(
            Commands.Describe(epmdBinary, ["-port", epmdPort.ToString(CultureInfo.InvariantCulture), "-address", "127.0.0.1"], environment: environment),
            Path.Combine(sandbox.Path, "epmd.log"));
        sandbox.Track(epmd.Id);
        var logFile = Path.Combine(sandbox.Path, "rabbitmq.log");
        var serverStart = Commands.Describe(serverScript, [], environment: environment);
        serverStart.WorkingDirectory = sandbox.Path;
        var server = Commands.StartServer(serverStart, logFile);
        sandbox.Track(server.Id);
        var node = new ThrowawayRabbitMq(server, epmd, port, managementPort, prometheusPort, nodeName) { _environment = environment };
        try
        {
            await node.WaitUntilReadyAsync(logFile, cancellationToken);
            foreach (var child in ChildrenOf(server.Id))
            {
                sandbox.Track(child);
            }
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    /// <summary>Creates a virtual host and gives the default user every permission on it.</summary>
    public async Task CreateVirtualHostAsync(string name, CancellationToken cancellationToken = default)
    {
        var escaped = Uri.EscapeDataString(name);
        using (var response = await _http.PutAsync(new Uri($"vhosts/{escaped}", UriKind.Relative), null, cancellationToken))
        {
            await EnsureSuccess(response, $"create virtual host '{name}'", cancellationToken);
        }

        using var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        using (var response = await _http.PutAsync(new Uri($"permissions/{escaped}/{User}", UriKind.Relative), permissions, cancellationToken))
        {
            await EnsureSuccess(response, $"grant permissions on '{name}'", cancellationToken);
        }
    }

    /// <summary>Deletes a virtual host with everything in it.</summary>
    public async Task DeleteVirtualHostAsync(string name, CancellationToken cancellationToken = default)
    {
        using var response = await _http.DeleteAsync(new Uri($"vhosts/{Uri.EscapeDataString(name)}", UriKind.Relative), cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            await EnsureSuccess(response, $"delete virtual host '{name}'", cancellationToken);
        }
    }

    /// <summary>
    /// Takes the broker away for <paramref name="down"/>, as a restart does: the node's application
    /// stops (every connection is closed, nothing listens on the AMQP port), then starts again with
    /// its durable queues and their messages. Returns once it serves AMQP again.
    /// </summary>
    public async Task TakeAwayAsync(TimeSpan down, CancellationToken cancellationToken = default)
    {
        var ctl = Path.Combine(RabbitBin, "rabbitmqctl");
        // rabbitmqctl boots an Erlang VM of its own: on a loaded machine that alone can take a minute.
        await Commands.RunAsync(Commands.Describe(ctl, ["-n", NodeName, "stop_app"], environment: _environment), TimeSpan.FromSeconds(180), cancellationToken);
        await Task.Delay(down, cancellationToken);
        // start_app returns once the application runs again.
        await Commands.RunAsync(Commands.Describe(ctl, ["-n", NodeName, "start_app"], environment: _environment), TimeSpan.FromSeconds(180), cancellationToken);
    }

    /// <summary>Reads a management API resource (e.g. <c>queues/vhost</c>) as JSON text.</summary>
    public async Task<string> GetManagementJsonAsync(string relativePath, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri(relativePath, UriKind.Relative), cancellationToken);
        await EnsureSuccess(response, $"GET {relativePath}", cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>Stops the node at once (its data is thrown away) and its epmd.</summary>
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        foreach (var process in new[] { _server, _epmd })
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(cts.Token);
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped.
            }
            catch (OperationCanceledException)
            {
                // Killed; the sandbox watchdog is the last resort.
            }

            process.Dispose();
        }
    }

    private static async Task EnsureSuccess(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new InvalidOperationException($"RabbitMQ management API could not {what}: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>
    /// Whether the node has booted with its plugins: it accepts AMQP connections (the broker's
    /// listeners open at the end of its boot), its management API answers (the management plugin
    /// runs on the booted broker) and so does the Prometheus plugin.
    /// </summary>
    private async Task<bool> ServesAsync(CancellationToken cancellationToken)
    {
        try
        {
            using (var probe = new System.Net.Sockets.TcpClient())
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, AmqpPort, cancellationToken);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var overview = await _http.GetAsync(new Uri("overview", UriKind.Relative), timeout.Token);
            using var metrics = await _http.GetAsync(new Uri($"http://127.0.0.1:{PrometheusPort}/metrics"), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return overview.IsSuccessStatusCode && metrics.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or HttpRequestException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private static string? FindEpmd()
    {
        if (File.Exists("/usr/bin/epmd"))
        {
            return "/usr/bin/epmd";
        }

        return Directory.Exists("/usr/lib/erlang")
            ? Directory.EnumerateFiles("/usr/lib/erlang", "epmd", SearchOption.AllDirectories).FirstOrDefault()
            : null;
    }

    private static List<int> ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var candidate))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (parent == pid)
                {
                    children.Add(candidate);
                    children.AddRange(ChildrenOf(candidate));
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        return children;
    }

    private async Task WaitUntilReadyAsync(string logFile, CancellationToken cancellationToken)
    {
        // Probed over its ports, not with rabbitmqctl await_startup: every rabbitmqctl run boots an
        // Erlang VM of its own (seconds of CPU), and on the shared 2-core machine those runs took
        // the CPU the node's own boot needed (and once did not finish within 100 s).
        var clock = Stopwatch.StartNew();
        while (!await ServesAsync(cancellationToken))
        {
            if (_server.HasExited)
            {
                throw new InvalidOperationException(
                    $"RabbitMQ exited with {_server.ExitCode} while starting (node {NodeName}, AMQP port {AmqpPort}). Its log:{Environment.NewLine}{Commands.Tail(logFile)}");
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(180))
            {
                throw new InvalidOperationException(
                    $"RabbitMQ did not serve AMQP ({AmqpPort}), its management API ({ManagementPort}) and Prometheus ({PrometheusPort}) within 180 s (node {NodeName}). Its log:{Environment.NewLine}{Commands.Tail(logFile)}");
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
