using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using TgFleet.Gate;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker.Fencing;

/// <summary>
/// The worker's own egress gate (<c>Gate:Mode=Child</c>, the default): started as a child process
/// (<c>TgFleet.Worker gate</c>) before any shard is taken, restarted on the same port if it dies,
/// stopped after the shards are handed over. It is a process of its own so that it is not paused
/// with the worker; its standard input stays open while the worker lives, so a worker killed with
/// SIGKILL leaves a gate that records the worker's leases closed once they expire, then exits.
/// </summary>
public sealed partial class GateChild : IHostedService, IDisposable
{
    private readonly GateOptions _options;
    private readonly ShardOptions _shards;
    private readonly IConfiguration _configuration;
    private readonly ILogger<GateChild> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Process? _process;
    private Task _watch = Task.CompletedTask;

    public GateChild(IOptions<GateOptions> options, IOptions<ShardOptions> shards, IConfiguration configuration, ILogger<GateChild> logger)
    {
        _options = options.Value;
        _shards = shards.Value;
        _configuration = configuration;
        _logger = logger;
        Port = _options.Port != 0 ? _options.Port : FreeLoopbackPort();
    }

    /// <summary>The gate's SOCKS5 port (fixed for the worker's life, so TDLib's proxy setting stays right across restarts).</summary>
    public int Port { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await StartProcessAsync(cancellationToken);
        _watch = WatchAsync();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watch;
        if (_process is { } process && !process.HasExited)
        {
            // The shards are handed over: closing its input tells the gate to record and leave.
            process.StandardInput.Close();
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }
    }

    public void Dispose()
    {
        _process?.Dispose();
        _stopping.Dispose();
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var worker = typeof(GateChild).Assembly.Location;
        var host = Environment.ProcessPath ?? "dotnet";
        var viaDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet" || !string.Equals(Path.GetFileNameWithoutExtension(host),
            Path.GetFileNameWithoutExtension(worker), StringComparison.Ordinal);
        var psi = new ProcessStartInfo(viaDotnet ? "dotnet" : host)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        if (viaDotnet)
        {
            psi.ArgumentList.Add(worker);
        }

        foreach (var arg in (string[])[GateHost.Verb, "--urls", _options.ChildUrls, "--Gate:ParentWatch", "true"])
        {
            psi.ArgumentList.Add(arg);
        }

        // Settings by environment (a connection string never goes on a command line).
        psi.Environment["Database__ConnectionString"] = _configuration["Database:ConnectionString"];
        psi.Environment["Shards__WorkerId"] = _shards.WorkerId;
        psi.Environment["Shards__Count"] = _shards.Count.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Gate__Host"] = _options.Host;
        psi.Environment["Gate__Port"] = Port.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Gate__PollInterval"] = _options.PollInterval.ToString("c", CultureInfo.InvariantCulture);
        psi.Environment["Gate__OrphanTimeout"] = (_shards.LeaseTtl * 2 + TimeSpan.FromSeconds(10)).ToString("c", CultureInfo.InvariantCulture);
        psi.Environment.Remove("Urls");
        psi.Environment.Remove("ASPNETCORE_URLS");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("The egress gate could not be started.");
        _process = process;

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (!await AcceptsAsync(deadline.Token))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The egress gate exited with {process.ExitCode} before it listened on {_options.Host}:{Port}.");
            }

            await Task.Delay(100, deadline.Token);
        }

        Log.GateStarted(_logger, process.Id, _options.Host, Port);
    }

    private async Task WatchAsync()
    {
        try
        {
            while (true)
            {
                if (_process is { } process)
                {
                    await process.WaitForExitAsync(_stopping.Token);
                    Log.GateExited(_logger, process.ExitCode);
                    process.Dispose();
                    _process = null;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                try
                {
                    await StartProcessAsync(_stopping.Token);
                }
                catch (InvalidOperationException e)
                {
                    Log.GateRestartFailed(_logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task<bool> AcceptsAsync(CancellationToken cancellationToken)
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await probe.ConnectAsync(new IPEndPoint(IPAddress.Parse(_options.Host), Port), cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.GateStarted, Level = LogLevel.Information, Message = "Egress gate started (pid {Pid}) on {Host}:{Port}")]
        internal static partial void GateStarted(ILogger logger, int pid, string host, int port);

        [LoggerMessage(EventId = EventIds.GateExited, Level = LogLevel.Error, Message = "The egress gate exited ({ExitCode}): TDLib cannot connect until it is back; restarting it")]
        internal static partial void GateExited(ILogger logger, int exitCode);

        [LoggerMessage(EventId = EventIds.GateExited + 1, Level = LogLevel.Error, Message = "The egress gate did not come back: {Error}")]
        internal static partial void GateRestartFailed(ILogger logger, string error);
    }
}
