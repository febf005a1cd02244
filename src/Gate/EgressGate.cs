using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Gate;

/// <summary>
/// The gate: accepts TDLib's SOCKS5 connections (username = account id, password = the account's
/// own proxy) and the connections to its accounts' MTProto relays (<see cref="MtprotoRelay"/>),
/// lets one through only while the account's shard lease is confirmed valid, pumps it
/// (<see cref="GateConnection"/>), and every <see cref="GateOptions.PollInterval"/> re-reads the
/// worker's leases, resets every connection whose lease is no longer valid and records each
/// finished epoch in PostgreSQL (<see cref="FenceRecords"/>).
/// </summary>
internal sealed partial class EgressGate : BackgroundService
{
    private readonly LeaseBook _leases;
    private readonly FenceRecords _records;
    private readonly GateOptions _options;
    private readonly int _shardCount;
    private readonly TimeProvider _time;
    private readonly ILogger<EgressGate> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ConcurrentDictionary<GateConnection, byte> _open = new();
    private readonly ConcurrentDictionary<(int Shard, long Epoch), int> _epochs = new();
    private readonly ConcurrentDictionary<string, MtprotoRelay> _relays = new(StringComparer.Ordinal);
    private readonly Lock _relaysSync = new();
    private readonly Counter<long> _opened;
    private readonly Counter<long> _fenced;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _recorded;
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;
    private volatile bool _orphaned;
    private long _orphanedAt;

    public EgressGate(LeaseBook leases, FenceRecords records, IOptions<GateOptions> options, int shardCount, TimeProvider time,
        IMeterFactory meters, IHostApplicationLifetime lifetime, ILogger<EgressGate> logger)
    {
        _leases = leases;
        _records = records;
        _options = options.Value;
        _shardCount = shardCount;
        _time = time;
        _lifetime = lifetime;
        _logger = logger;
        var meter = meters.Create("TgFleet.Gate");
        meter.CreateObservableGauge("tgfleet.gate.connections.open", () => _open.Count, "{connection}", "Connections the gate carries now.");
        meter.CreateObservableGauge("tgfleet.gate.relays", () => _relays.Count, "{relay}", "MTProto relays listening (one per account with an MTProto proxy).");
        _opened = meter.CreateCounter<long>("tgfleet.gate.connections.opened", "{connection}", "Connections let through (lease confirmed, upstream reached).");
        _fenced = meter.CreateCounter<long>("tgfleet.gate.connections.fenced", "{connection}", "Connections closed by the gate because their shard's lease was no longer valid.");
        _refused = meter.CreateCounter<long>("tgfleet.gate.connections.refused", "{connection}", "Connections refused: no valid lease for the account's shard, or not a gate client.");
        _failed = meter.CreateCounter<long>("tgfleet.gate.connections.failed", "{connection}", "Connections whose upstream (destination or the account's own proxy) could not be reached.");
        _recorded = meter.CreateCounter<long>("tgfleet.gate.epochs.recorded", "{epoch}", "Lease epochs recorded in PostgreSQL with every connection closed.");
    }

    /// <summary>The SOCKS5 port, once listening.</summary>
    public Task<int> Listening => _listening.Task;

    /// <summary>Connections open now.</summary>
    public int OpenCount => _open.Count;

    /// <summary>
    /// The worker is gone (a child gate's parent exited): finish fencing its leases, record them,
    /// then stop the process.
    /// </summary>
    public void Orphan()
    {
        _orphanedAt = _time.GetTimestamp();
        _orphaned = true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Parse(_options.Host), _options.Port));
        listener.Listen(1024);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _stopping = stoppingToken;
        Log.Listening(_logger, _options.Host, port, _leases.WorkerId);
        _listening.TrySetResult(port);
        var fencing = FenceLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(stoppingToken);
                _ = ServeAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await fencing;
            foreach (var relay in _relays.Values)
            {
                relay.Dispose();
            }

            foreach (var connection in _open.Keys)
            {
                connection.Fence();
            }
        }
    }

    private Task ServeAsync(Socket client, CancellationToken stoppingToken) =>
        ServeAsync(client, (stream, ct) => OpenAsync(client, stream, ct), stoppingToken);

    /// <summary>Opens a connection (<paramref name="open"/>: handshake, lease, upstream) and pumps it until it ends.</summary>
    private async Task ServeAsync(Socket client, Func<NetworkStream, CancellationToken, Task<GateConnection?>> open, CancellationToken stoppingToken)
    {
        client.NoDelay = true;
        GateConnection? connection = null;
        try
        {
            await using (var stream = new NetworkStream(client, ownsSocket: false))
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                handshake.CancelAfter(_options.ConnectTimeout);
                connection = await open(stream, handshake.Token);
            }
        }
        catch (Exception e) when (e is SocksException or IOException or SocketException or OperationCanceledException)
        {
            // Refused or broken before it was let through (counted where it was decided).
        }

        if (connection is null)
        {
            client.Dispose();
            return;
        }

        try
        {
            await connection.RunAsync();
        }
        finally
        {
            _open.TryRemove(connection, out _);
            if (connection.Fenced)
            {
                _fenced.Add(1);
            }
        }
    }

    /// <summary>Handshake, lease check, upstream; the connection registered and answered, or null when refused.</summary>
    private async Task<GateConnection?> OpenAsync(Socket client, NetworkStream stream, CancellationToken cancellationToken)
    {
        SocksRequest request;
        try
        {
            request = await Socks5.AcceptAsync(stream, cancellationToken);
        }
        catch (SocksException e)
        {
            _refused.Add(1, new KeyValuePair<string, object?>("reason", "protocol"));
            await TryReplyAsync(stream, e.Reply, cancellationToken);
            return null;
        }

        // An MTProto proxy is relayed (a BIND from the worker), never chained (a CONNECT from TDLib).
        if (request.Username.Length == 0 || !Upstream.TryParse(request.Password, out var upstream)
            || (request.Command == Socks5.Bind) != (upstream?.IsMtproto == true))
        {
            _refused.Add(1, new KeyValuePair<string, object?>("reason", "protocol"));
            await TryReplyAsync(stream, Socks5.NotAllowed, cancellationToken);
            return null;
        }

        var shard = ShardAddressing.ShardOf(request.Username, _shardCount);
        if (_orphaned || await _leases.ConfirmAsync(shard, cancellationToken) is not { } epoch)
        {
            _refused.Add(1, new KeyValuePair<string, object?>("reason", "lease"));
            Log.Refused(_logger, shard, request.Destination);
            await TryReplyAsync(stream, Socks5.NotAllowed, cancellationToken);
            return null;
        }

        if (request.Command == Socks5.Bind)
        {
            var relay = RelayFor(request.Username, shard, upstream!, request.Destination.Port);
            await TryReplyAsync(stream, Socks5.Succeeded, cancellationToken, new IPEndPoint(IPAddress.Parse(_options.Host), relay.Port));
            return null;
        }

        Socket upstreamSocket;
        try
        {
            upstreamSocket = await Upstream.ConnectAsync(upstream, request.Destination, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException or SocksException or OperationCanceledException)
        {
            _failed.Add(1);
            await TryReplyAsync(stream, e is SocksException s ? s.Reply : Socks5.HostUnreachable, CancellationToken.None);
            return null;
        }

        if (Register(client, upstreamSocket, shard, epoch) is not { } connection)
        {
            await TryReplyAsync(stream, Socks5.NotAllowed, cancellationToken);
            return null;
        }

        await Socks5.ReplyAsync(stream, Socks5.Succeeded, cancellationToken);
        return connection;
    }

    /// <summary>A connection to an account's MTProto relay: lease, then the real MTProto proxy; null when refused (reset).</summary>
    private async Task<GateConnection?> OpenRelayedAsync(Socket client, MtprotoRelay relay, CancellationToken cancellationToken)
    {
        if (_orphaned || await _leases.ConfirmAsync(relay.Shard, cancellationToken) is not { } epoch)
        {
            _refused.Add(1, new KeyValuePair<string, object?>("reason", "lease"));
            Log.Refused(_logger, relay.Shard, relay.Destination);
            client.LingerState = new LingerOption(true, 0);
            return null;
        }

        Socket upstreamSocket;
        try
        {
            upstreamSocket = await Upstream.ConnectAsync(Upstream.Direct, relay.Destination, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            _failed.Add(1);
            return null;
        }

        var connection = Register(client, upstreamSocket, relay.Shard, epoch);
        if (connection is null)
        {
            client.LingerState = new LingerOption(true, 0);
        }

        return connection;
    }

    /// <summary>Registers a connection let through; null (refused, upstream closed) when the lease ended meanwhile.</summary>
    private GateConnection? Register(Socket client, Socket upstreamSocket, int shard, long epoch)
    {
        var connection = new GateConnection(client, upstreamSocket, shard, epoch, _leases);
        _open[connection] = 0;
        _epochs.AddOrUpdate((shard, epoch), 1, (_, n) => n + 1);
        // Registered first, judged again after: a fence round between the two checks cannot miss it.
        if (!_leases.IsValid(shard, epoch))
        {
            _open.TryRemove(connection, out _);
            upstreamSocket.Dispose();
            _refused.Add(1, new KeyValuePair<string, object?>("reason", "lease"));
            return null;
        }

        _opened.Add(1);
        return connection;
    }

    /// <summary>
    /// The account's MTProto relay to <paramref name="upstream"/>: the one it has, or a new one
    /// (replacing a relay to another proxy) listening on <paramref name="preferredPort"/> if free.
    /// </summary>
    private MtprotoRelay RelayFor(string accountId, int shard, Upstream upstream, int preferredPort)
    {
        lock (_relaysSync)
        {
            if (_relays.TryGetValue(accountId, out var existing))
            {
                if (existing.Upstream == upstream)
                {
                    return existing;
                }

                existing.Dispose();
            }

            var relay = MtprotoRelay.Open(_options.Host, preferredPort, accountId, shard, upstream);
            _relays[accountId] = relay;
            Log.RelayOpened(_logger, accountId, shard, relay.Port);
            _ = AcceptRelayedAsync(relay, _stopping);
            return relay;
        }
    }

    private async Task AcceptRelayedAsync(MtprotoRelay relay, CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await relay.Listener.AcceptAsync(stoppingToken);
                _ = ServeAsync(client, (_, ct) => OpenRelayedAsync(client, relay, ct), stoppingToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping, or replaced by a relay to another proxy.
        }
    }

    private static async Task TryReplyAsync(Stream stream, byte reply, CancellationToken cancellationToken, IPEndPoint? bound = null)
    {
        try
        {
            await Socks5.ReplyAsync(stream, reply, cancellationToken, bound);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // The client is gone already.
        }
    }

    private async Task FenceLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<LeaseRow>? rows = null;
            try
            {
                rows = await _leases.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Leases not confirmed age out on the monotonic clock; their connections close below.
                Log.LeasesUnreadable(_logger, e.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            FenceInvalid();
            CloseRelaysOfOthers(rows);
            await RecordFinishedAsync(rows, stoppingToken);
            if (_orphaned && ((_open.IsEmpty && _epochs.IsEmpty && rows is not null && rows.All(r => r.ClosedEpoch >= r.Epoch))
                || _time.GetElapsedTime(_orphanedAt) > _options.OrphanTimeout))
            {
                Log.OrphanDone(_logger, _leases.WorkerId);
                _lifetime.StopApplication();
                return;
            }

            try
            {
                await Task.Delay(_options.PollInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Resets every connection whose lease is not valid now.</summary>
    private void FenceInvalid()
    {

        foreach (var connection in _open.Keys)
        {
            if (!_leases.IsValid(connection.Shard, connection.Epoch))
            {
                Log.Fenced(_logger, connection.Shard, connection.Epoch);
                connection.Fence();
            }
        }
    }

    /// <summary>
    /// Closes the MTProto relays of shards the worker no longer holds at all (released, or taken by
    /// another worker): a relay of a shard whose lease merely lapsed stays, refusing (and counting)
    /// what TDLib tries. The worker asks again for a relay when it runs the account again.
    /// </summary>
    private void CloseRelaysOfOthers(IReadOnlyList<LeaseRow>? rows)
    {
        if (rows is null)
        {
            return;
        }

        var held = rows.Select(r => r.Shard).ToHashSet();
        lock (_relaysSync)
        {
            foreach (var relay in _relays.Values.Where(r => !held.Contains(r.Shard)))
            {
                _relays.TryRemove(relay.AccountId, out _);
                relay.Dispose();
            }
        }
    }

    /// <summary>Records every epoch of this worker that is over and has no connection left.</summary>
    private async Task RecordFinishedAsync(IReadOnlyList<LeaseRow>? rows, CancellationToken stoppingToken)
    {
        foreach (var row in rows ?? [])
        {
            // Every epoch of this worker the gate sees, carried or not (a shard with no connection
            // yet, or before a restart of the gate): once over, it is recorded, even when a
            // successor took the lease before the gate saw it expire.
            if (row.ClosedEpoch < row.Epoch)
            {
                _epochs.TryAdd((row.Shard, row.Epoch), 0);
            }
        }

        var finished = _epochs
            .Where(e => !_leases.IsValid(e.Key.Shard, e.Key.Epoch) && !_open.Keys.Any(c => c.Shard == e.Key.Shard && c.Epoch == e.Key.Epoch))
            .Select(e => new ClosedEpoch(e.Key.Shard, e.Key.Epoch, e.Value))
            .ToList();
        if (finished.Count == 0)
        {
            return;
        }

        try
        {
            foreach (var (shard, epoch) in await _records.RecordAsync(finished, stoppingToken))
            {
                _epochs.TryRemove((shard, epoch), out _);
                _recorded.Add(1);
                Log.Recorded(_logger, shard, epoch);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            Log.LeasesUnreadable(_logger, e.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Listening, Level = LogLevel.Information, Message = "Egress gate listening on {Host}:{Port} for worker {WorkerId}")]
        internal static partial void Listening(ILogger logger, string host, int port, string workerId);

        [LoggerMessage(EventId = EventIds.Refused, Level = LogLevel.Debug, Message = "Refused a connection to {Destination}: no valid lease for shard {Shard}")]
        internal static partial void Refused(ILogger logger, int shard, Destination destination);

        [LoggerMessage(EventId = EventIds.Fenced, Level = LogLevel.Warning, Message = "Fenced a connection of shard {Shard} (epoch {Epoch}): its lease is no longer valid")]
        internal static partial void Fenced(ILogger logger, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.Recorded, Level = LogLevel.Information, Message = "Recorded shard {Shard} epoch {Epoch}: every connection closed")]
        internal static partial void Recorded(ILogger logger, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.LeasesUnreadable, Level = LogLevel.Warning, Message = "Could not read or record leases: {Error}")]
        internal static partial void LeasesUnreadable(ILogger logger, string error);

        [LoggerMessage(EventId = EventIds.RelayOpened, Level = LogLevel.Information, Message = "MTProto relay for account {AccountId} (shard {Shard}) listening on port {Port}")]
        internal static partial void RelayOpened(ILogger logger, string accountId, int shard, int port);

        [LoggerMessage(EventId = EventIds.OrphanDone, Level = LogLevel.Information, Message = "Worker {WorkerId} is gone and its leases are recorded closed: the gate stops")]
        internal static partial void OrphanDone(ILogger logger, string workerId);
    }
}
