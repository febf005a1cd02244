using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace TgFleet.Simulator.Backend;

/// <summary>An answer from the cloud: <see cref="Ok"/> or an error.</summary>
internal readonly record struct CloudAnswer(JsonDocument? Document, int Code, string Message)
{
    public bool IsError => Document is null;

    public JsonElement Ok => Document!.RootElement.GetProperty("ok");
}

/// <summary>A real proxy a client's connection goes through (a SOCKS5 server on loopback, such as the egress gate).</summary>
internal sealed record LinkProxy(Uri Address, string? Username, string? Password);

/// <summary>
/// One simulated client's own connection to the cloud (as each TDLib client has its own), through
/// the client's proxy when that is a real one (<see cref="LinkProxy"/>). Requests are framed as
/// JSON objects with an id; answers come back by id; pushes go to the client. While connected it
/// pings the cloud as often as the cloud's hello asked, so that a live client is never silent; a
/// frozen process pings nothing and the cloud drops it after its disconnect delay. When the socket
/// drops, every pending request is sent again after the reconnect (requests that change state
/// carry ids the cloud deduplicates).
/// </summary>
internal sealed class ServerLink : IAsyncDisposable
{
    private readonly Uri _address;
    private readonly Action<JsonDocument> _onPush;
    private readonly Action<bool> _onConnectionChanged;
    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<LinkProxy?> _route;
    private readonly int _clientId;
    private long _nextId;
    private int _connection;
    private CancellationTokenSource? _current;

    public ServerLink(Uri address, string instance, int clientId, Func<LinkProxy?> route, Action<JsonDocument> onPush, Action<bool> onConnectionChanged)
    {
        _address = new Uri(address + (address.Query.Length > 0 ? "&" : "?") + "instance=" + instance);
        _clientId = clientId;
        _route = route;
        _onPush = onPush;
        _onConnectionChanged = onConnectionChanged;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Drops the connection so that it is made again (the client's proxy changed).</summary>
    public void Reconnect()
    {
        try
        {
            _current?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Between connections.
        }
    }

    public bool IsConnected => _connected.Task.IsCompletedSuccessfully;

    private sealed class Pending(byte[] frame)
    {
        private int _sentOn;

        public byte[] Frame { get; } = frame;

        /// <summary>True once per connection: a frame is written exactly once on each socket.</summary>
        public bool ClaimFor(int connection) => Interlocked.Exchange(ref _sentOn, connection) != connection;

        public TaskCompletionSource<CloudAnswer> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Calls the cloud; waits for the connection as TDLib waits for the network.</summary>
    public async Task<CloudAnswer> CallAsync(string op, int clientId, Action<Utf8JsonWriter>? args, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref _nextId);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, SimulatorTdJsonBackend.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("op", op);
            w.WriteNumber("c", clientId);
            args?.Invoke(w);
            w.WriteEndObject();
        }

        var pending = new Pending(buffer.WrittenSpan.ToArray());
        _pending[id] = pending;
        var connection = Volatile.Read(ref _connection);
        if (IsConnected && pending.ClaimFor(connection))
        {
            _outbound.Writer.TryWrite(pending.Frame);
        }

        // Not connected: the reconnect sends every pending frame.
        using var registration = cancellationToken.Register(() => pending.Answer.TrySetCanceled());
        try
        {
            return await pending.Answer.Task;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task RunAsync()
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (!_stop.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            // The cloud judges liveness by the pings below (TDLib's own), not by WebSocket pongs.
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            if (_route() is { } proxy)
            {
                socket.Options.Proxy = new WebProxy(proxy.Address)
                {
                    Credentials = proxy.Username is { Length: > 0 } user ? new NetworkCredential(user, proxy.Password ?? string.Empty) : null,
                };
            }

            try
            {
                await socket.ConnectAsync(_address, _stop.Token);
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or OperationCanceledException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(delay, CancellationToken.None);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
                continue;
            }

            delay = TimeSpan.FromMilliseconds(50);
            var outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
            _outbound = outbound;
            var connection = Interlocked.Increment(ref _connection);
            _connected.TrySetResult();

            // Every request not answered yet goes out (again) on the new socket, once.
            foreach (var pending in _pending.OrderBy(p => p.Key))
            {
                if (pending.Value.ClaimFor(connection))
                {
                    outbound.Writer.TryWrite(pending.Value.Frame);
                }
            }

            _onConnectionChanged(true);
            using var dropped = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            _current = dropped;
            var writer = WriteAsync(socket, outbound.Reader, dropped.Token);
            try
            {
                await ReadAsync(socket, dropped.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or JsonException)
            {
                // Dropped: reconnect below.
            }

            _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _current = null;
            outbound.Writer.TryComplete();
            await dropped.CancelAsync();
            socket.Abort();
            try
            {
                await writer;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The socket is gone.
            }

            if (!_stop.IsCancellationRequested)
            {
                _onConnectionChanged(false);
            }
        }
    }

    private static async Task WriteAsync(ClientWebSocket socket, ChannelReader<byte[]> reader, CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var frame))
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken);
            }
        }
    }

    private async Task ReadAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (socket.State == WebSocketState.Open)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                buffer.Advance(result.Count);
            }
            while (!result.EndOfMessage);

            var document = JsonDocument.Parse(buffer.WrittenMemory.ToArray());
            var root = document.RootElement;
            if (root.TryGetProperty("id", out var idElement))
            {
                if (_pending.TryRemove(idElement.GetInt64(), out var pending))
                {
                    if (root.TryGetProperty("error", out var error))
                    {
                        pending.Answer.TrySetResult(new CloudAnswer(null, error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()!));
                        document.Dispose();
                    }
                    else
                    {
                        pending.Answer.TrySetResult(new CloudAnswer(document, 0, string.Empty));
                    }
                }
                else
                {
                    document.Dispose();
                }
            }
            else if (root.TryGetProperty("push", out var kind) && kind.ValueEquals("hello"u8))
            {
                using (document)
                {
                    _ = PingAsync(TimeSpan.FromMilliseconds(root.GetProperty("pingMs").GetDouble()), cancellationToken);
                }
            }
            else
            {
                using (document)
                {
                    _onPush(document);
                }
            }
        }
    }

    /// <summary>Pings while this connection lasts (TDLib pings its connections; the cloud drops silent ones).</summary>
    private async Task PingAsync(TimeSpan interval, CancellationToken connection)
    {
        try
        {
            while (!connection.IsCancellationRequested)
            {
                await Task.Delay(interval, connection);
                using var answer = (await CallAsync("ping", _clientId, null, connection)).Document;
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        foreach (var pending in _pending.Values)
        {
            pending.Answer.TrySetCanceled();
        }

        _stop.Dispose();
    }
}
