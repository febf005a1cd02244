using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TgFleet.Tdlib.Api;

namespace TgFleet.Tdlib;

/// <summary>
/// Runs every TDLib client of a backend: ONE receive thread calls <see cref="ITdJsonBackend.Receive"/>,
/// parses each object on the spot (the bytes die at the next call) and dispatches it by
/// <c>@client_id</c>: a response (its <c>@extra</c> names a waiting request) completes that
/// request; anything else is queued to its client's update channel, in order, never dropped.
/// Requests are correlated by a process-wide <c>@extra</c> counter. Clients cost no thread.
/// Metrics (meter <see cref="MeterName"/>): how long ago the receive loop last came back from
/// the backend and the clients' undelivered updates; a span (source <see cref="ActivitySourceName"/>)
/// around each request while a listener records.
/// </summary>
public sealed class TdClientManager : IAsyncDisposable
{
    /// <summary>The binding's meter.</summary>
    public const string MeterName = "TgFleet.Tdlib";

    /// <summary>The binding's activity source: one span per request.</summary>
    public const string ActivitySourceName = "TgFleet.Tdlib";

    internal static readonly ActivitySource Activities = new(ActivitySourceName);

    private static readonly Lock ActiveGate = new();
    private static readonly HashSet<ITdJsonBackend> ActiveBackends = new(ReferenceEqualityComparer.Instance);

    [ThreadStatic]
    private static RequestBuffer? _requestBuffer;

    private readonly ConcurrentDictionary<int, TdClient> _clients = new();
    private readonly ConcurrentDictionary<long, IPendingRequest> _pending = new();
    private readonly Thread _receiveThread;
    private readonly ILogger _logger;
    private long _lastExtra;
    private long _receivedAt;
    private volatile bool _stopping;
    private int _disposed;

    /// <summary>Starts the manager on <paramref name="backend"/> after checking its TDLib version.</summary>
    /// <exception cref="TdlibVersionMismatchException">The backend's version differs from <see cref="TdApi.SchemaVersion"/> (unless allowed).</exception>
    /// <exception cref="InvalidOperationException">Another manager already receives from this backend.</exception>
    public TdClientManager(ITdJsonBackend backend, TdlibOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        Options = options ?? new TdlibOptions();
        TimeProvider = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory?.CreateLogger<TdClientManager>() ?? NullLogger<TdClientManager>.Instance;
        LibraryVersion = CheckVersion(backend, Options, _logger);

        lock (ActiveGate)
        {
            if (!ActiveBackends.Add(backend))
            {
                throw new InvalidOperationException($"A TdClientManager already receives from this {backend.Name} backend: one receive loop per backend (td_receive serves the whole process).");
            }
        }

        if (meterFactory is not null)
        {
            var meter = meterFactory.Create(MeterName);
            meter.CreateObservableGauge("tgfleet.tdlib.receive.lag", ReceiveLag, "s",
                "Time since the receive loop last came back from the backend; above Tdlib:ReceivePollInterval, every client of the process waits.");
            meter.CreateObservableGauge("tgfleet.tdlib.update.backlog", () => _clients.Values.Sum(c => (long)c.UpdateBacklog), "{update}",
                "Updates received from TDLib and not yet read by their accounts, all clients together.");
            meter.CreateObservableGauge("tgfleet.tdlib.requests.pending", () => _pending.Count, "{request}", "Requests sent to TDLib and not yet answered.");
        }

        _receivedAt = TimeProvider.GetTimestamp();
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "tdlib-receive" };
        _receiveThread.Start();
    }

    /// <summary>The JSON backend (libtdjson or the simulator).</summary>
    public ITdJsonBackend Backend { get; }

    /// <summary>The backend's <c>version</c> option.</summary>
    public string? LibraryVersion { get; }

    /// <summary>The options in force.</summary>
    public TdlibOptions Options { get; }

    /// <summary>Live clients (created and not yet closed): the registry the receive loop dispatches to.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>Requests sent and not yet answered, cancelled or failed.</summary>
    public int PendingRequestCount => _pending.Count;

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger => _logger;

    /// <summary>Starts a manager over the process's libtdjson (<see cref="LibTdJsonBackend.Create"/>).</summary>
    public static TdClientManager StartLibTdJson(TdlibOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        options ??= new TdlibOptions();
        return new TdClientManager(LibTdJsonBackend.Create(loggerFactory, options.LogVerbosityLevel), options, loggerFactory, timeProvider, meterFactory);
    }

    /// <summary>Creates a client. TDLib starts it with its first request (then it sends <c>authorizationStateWaitTdlibParameters</c>).</summary>
    public TdClient CreateClient()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var client = new TdClient(this, Backend.CreateClientId());
        _clients[client.Id] = client;
        return client;
    }

    /// <summary>Closes every client (waiting for <c>authorizationStateClosed</c>), then stops the receive thread.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(_clients.Values.Select(client => client.DisposeAsync().AsTask()));
        _stopping = true;
        await Task.Run(_receiveThread.Join);
        lock (ActiveGate)
        {
            ActiveBackends.Remove(Backend);
        }

        foreach (var pending in _pending.Values)
        {
            pending.Fail(new ObjectDisposedException(nameof(TdClientManager)));
        }
    }

    internal Task<TResult> SendAsync<TResult>(TdClient client, TdFunction<TResult> function, CancellationToken cancellationToken)
        where TResult : TdObject
    {
        ArgumentNullException.ThrowIfNull(function);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult>(cancellationToken);
        }

        if (client.IsClosed)
        {
            return Task.FromException<TResult>(new ObjectDisposedException(nameof(TdClient), $"TDLib client {client.Id} is closed."));
        }

        var extra = Interlocked.Increment(ref _lastExtra);
        var pending = new PendingRequest<TResult>(this, client.Id, extra);
        if (Activities.HasListeners())
        {
            pending.Activity = Activities.StartActivity("tdlib " + function.TdType, ActivityKind.Client)?.SetTag("tdlib.function", function.TdType);
        }

        _pending[extra] = pending;
        try
        {
            Write(client.Id, function, extra);
        }
        catch
        {
            _pending.TryRemove(extra, out _);
            pending.Activity?.Dispose();
            throw;
        }

        if (cancellationToken.CanBeCanceled)
        {
            pending.CancelOn(cancellationToken);
        }

        return pending.Task;
    }

    internal bool Forget(long extra) => _pending.TryRemove(extra, out _);

    internal void OnClientClosed(TdClient client)
    {
        _clients.TryRemove(client.Id, out _);
        foreach (var (extra, pending) in _pending)
        {
            if (pending.ClientId == client.Id && _pending.TryRemove(extra, out _))
            {
                pending.Fail(new ObjectDisposedException(nameof(TdClient), $"TDLib client {client.Id} closed before answering."));
            }
        }

        Log.ClientClosed(_logger, client.Id);
    }

    private static string? CheckVersion(ITdJsonBackend backend, TdlibOptions options, ILogger logger)
    {
        string? version = null;
        var answer = backend.Execute("{\"@type\":\"getOption\",\"name\":\"version\"}\0"u8);
        if (answer is not null && TdJsonReader.Parse(System.Text.Encoding.UTF8.GetBytes(answer)) is OptionValueString value)
        {
            version = value.Value;
        }

        if (version != TdApi.SchemaVersion)
        {
            if (!options.AllowVersionMismatch)
            {
                throw new TdlibVersionMismatchException(backend.Name, version, TdApi.SchemaVersion);
            }

            Log.VersionMismatchAllowed(logger, backend.Name, version ?? "(none)", TdApi.SchemaVersion);
        }

        return version;
    }

    /// <summary>Writes the request with a per-thread pooled buffer: no allocation per request.</summary>
    private void Write(int clientId, TdObject function, long extra)
    {
        var buffer = _requestBuffer ??= new RequestBuffer();
        buffer.Bytes.ResetWrittenCount();
        var writer = buffer.Writer;
        writer.Reset(buffer.Bytes);
        writer.WriteStartObject();
        writer.WriteString("@type"u8, function.TdTypeUtf8);
        function.WriteFields(writer);
        writer.WriteNumber("@extra"u8, extra);
        writer.WriteEndObject();
        writer.Flush();
        buffer.Bytes.GetSpan(1)[0] = 0;
        buffer.Bytes.Advance(1);
        Backend.Send(clientId, buffer.Bytes.WrittenSpan);
        if (buffer.Bytes.Capacity > RequestBuffer.MaxKeptBytes)
        {
            _requestBuffer = null;
        }
    }

    private void ReceiveLoop()
    {
        var timeout = Options.ReceivePollInterval;
        while (!_stopping)
        {
            try
            {
                var json = Backend.Receive(timeout);
                Volatile.Write(ref _receivedAt, TimeProvider.GetTimestamp());
                if (json.IsEmpty)
                {
                    continue;
                }

                TdObject received;
                try
                {
                    received = TdJsonReader.Parse(json);
                }
                catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException or OverflowException)
                {
                    Log.MalformedObject(_logger, exception, Backend.Name, json.Length);
                    FailUnreadable(json, exception);
                    continue;
                }

                Dispatch(received);
            }
#pragma warning disable CA1031 // One bad object must not stop every client of the process.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.ReceiveFailed(_logger, exception);
            }
        }
    }

    private double ReceiveLag() =>
        _stopping ? 0 : TimeProvider.GetElapsedTime(Volatile.Read(ref _receivedAt)).TotalSeconds;

    /// <summary>An answer that cannot be read still ends its request (with the reason) instead of leaving it waiting.</summary>
    private void FailUnreadable(ReadOnlySpan<byte> json, Exception exception)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isExtra = reader.ValueTextEquals("@extra"u8);
                reader.Read();
                if (isExtra && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var extra) && _pending.TryRemove(extra, out var pending))
                {
                    pending.Fail(new TdException("TDLib's answer could not be read: " + exception.Message, exception));
                    return;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not even JSON: no request can be named.
        }
    }

    private void Dispatch(TdObject received)
    {
        if (received.Extra is { } extra && _pending.TryRemove(extra, out var pending))
        {
            pending.Complete(received);
            return;
        }

        if (received is UnknownObject unknown)
        {
            Log.UnknownObject(_logger, received.ClientId, unknown.Type);
        }

        if (received.Extra is not null || !_clients.TryGetValue(received.ClientId, out var client))
        {
            Log.OrphanObject(_logger, received.TdType, received.ClientId, received.Extra);
            return;
        }

        client.Deliver(received);
    }

    private sealed class RequestBuffer
    {
        public const int MaxKeptBytes = 64 * 1024;

        public RequestBuffer()
        {
            Bytes = new ArrayBufferWriter<byte>(1024);
            Writer = new Utf8JsonWriter(Bytes, TdJsonWriter.Options);
        }

        public ArrayBufferWriter<byte> Bytes { get; }

        public Utf8JsonWriter Writer { get; }
    }
}
