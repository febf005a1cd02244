using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpenTelemetry.Metrics;

namespace TgFleet.Simulator;

/// <summary>
/// The simulator as a web application: the WebSocket endpoint backends connect to (/backend)
/// and the control and witness API (/control, /witness). Program.cs runs it as a process; tests
/// start it in-process with <see cref="StartAsync(TimeProvider?, CancellationToken)"/> on 127.0.0.1 and port 0.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<BackendConnection, byte> _connections = new();

    private SimulatorServer(WebApplication app, Cloud cloud)
    {
        _app = app;
        Cloud = cloud;
        cloud.Unreachable += () =>
        {
            foreach (var connection in _connections.Keys)
            {
                connection.Abort();
            }
        };
        cloud.ProxyChanged += (server, port, down) =>
        {
            foreach (var connection in _connections.Keys)
            {
                connection.PushProxy(server, port, down);
            }
        };
    }

    public Cloud Cloud { get; }

    /// <summary>The base address (http://127.0.0.1:PORT/).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The WebSocket address backends connect to (ws://127.0.0.1:PORT/backend).</summary>
    public Uri BackendAddress => new(BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "backend");

    public int ConnectionCount => _connections.Count;

    /// <summary>Builds the application; <paramref name="args"/> are the host's (e.g. --urls).</summary>
    public static SimulatorServer Create(string[] args, TimeProvider? time = null, bool quiet = false)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (quiet)
        {
            builder.Logging.ClearProviders();
        }

        // Request lines carry phone numbers (/control/codes/+44…): never log them.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ControlJsonContext.Default));
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<SimulatorMetrics>();
        builder.Services.AddSingleton(sp => new Cloud(time ?? TimeProvider.System, sp.GetRequiredService<SimulatorMetrics>()));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(SimulatorMetrics.MeterName).AddPrometheusExporter());
        var app = builder.Build();
        var cloud = app.Services.GetRequiredService<Cloud>();
        var server = new SimulatorServer(app, cloud);
        app.UseWebSockets();
        app.MapPrometheusScrapingEndpoint("/metrics");
        server.MapBackendEndpoint();
        app.MapControlApi(cloud, () => server.ConnectionCount);
        return server;
    }

    /// <summary>Starts an in-process simulator on 127.0.0.1 with a free port.</summary>
    public static async Task<SimulatorServer> StartAsync(TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var server = Create(["--urls", "http://127.0.0.1:0"], time, quiet: true);
        await server.StartAsync(cancellationToken);
        return server;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    public Task RunAsync(CancellationToken cancellationToken) => _app.RunAsync(cancellationToken);

    private void MapBackendEndpoint() => _app.Map("/backend", async context =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (!Cloud.Reachable)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var instance = context.Request.Query["instance"].ToString();
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var connection = new BackendConnection(socket, Cloud, string.IsNullOrEmpty(instance) ? Guid.NewGuid().ToString("N") : instance);
        _connections[connection] = 0;
        try
        {
            await connection.RunAsync(context.RequestAborted);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    });

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
