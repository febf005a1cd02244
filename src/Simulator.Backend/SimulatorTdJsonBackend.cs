using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using TgFleet.Tdlib;

namespace TgFleet.Simulator.Backend;

/// <summary>
/// A TDLib-compatible JSON backend over the Telegram simulator: per client it keeps TDLib's
/// authorization state machine, emits TDLib's objects and updates, and keeps its session in
/// database_directory/td.binlog. Each client has its own WebSocket to the simulator server (as
/// each TDLib client has its own connections), made through the client's proxy when that is a real
/// SOCKS5 server on loopback (the egress gate). The layers above the JSON boundary cannot tell it
/// from libtdjson.
/// </summary>
public sealed class SimulatorTdJsonBackend : ITdJsonBackend, IAsyncDisposable, IDisposable
{
    /// <summary>The library version the simulator reproduces (td_api.tl in shared/tdlib).</summary>
    public const string TdlibVersion = "1.8.65";

    /// <summary>TDLib writes UTF-8 as is (no \uXXXX escapes beyond what JSON requires).</summary>
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly ConcurrentDictionary<string, int> LockedDirectories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, SimulatedClient> _clients = new();
    private readonly BlockingCollection<byte[]> _received = new(new ConcurrentQueue<byte[]>());
    private readonly Uri _serverAddress;
    private int _nextClientId;
    private int _disposed;

    /// <summary>Creates the backend; <paramref name="serverAddress"/> is the simulator's ws://127.0.0.1:PORT/backend.</summary>
    public SimulatorTdJsonBackend(Uri serverAddress, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(serverAddress);
        Time = time ?? TimeProvider.System;
        Instance = Guid.NewGuid().ToString("N");
        _serverAddress = serverAddress;
    }

    /// <inheritdoc />
    public string Name => "simulator";

    /// <summary>This instance's id as the simulator sees it.</summary>
    public string Instance { get; }

    internal TimeProvider Time { get; }

    /// <summary>Clients not closed yet.</summary>
    public int ClientCount => _clients.Count;

    /// <inheritdoc />
    public int CreateClientId()
    {
        var id = Interlocked.Increment(ref _nextClientId);
        _clients[id] = new SimulatedClient(this, id);
        return id;
    }

    /// <inheritdoc />
    public void Send(int clientId, ReadOnlySpan<byte> requestUtf8)
    {
        var end = requestUtf8.IndexOf((byte)0);
        var json = end >= 0 ? requestUtf8[..end] : requestUtf8;
        if (!_clients.TryGetValue(clientId, out var client))
        {
            // TDLib answers requests to unknown or closed clients with "Request aborted".
            var extra = TryReadExtra(json);
            Emit(clientId, extra, w =>
            {
                w.WriteString("@type", "error");
                w.WriteNumber("code", 500);
                w.WriteString("message", "Request aborted");
            });
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException)
        {
            Emit(clientId, null, w =>
            {
                w.WriteString("@type", "error");
                w.WriteNumber("code", 400);
                w.WriteString("message", "Failed to parse JSON object as TDLib request: Can't parse JSON object");
            });
            return;
        }

        client.Handle(document);
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> Receive(TimeSpan timeout)
    {
        var wait = timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout;
        if (_received.IsCompleted)
        {
            // Disposed: nothing will come; behave like a quiet td_receive.
            Thread.Sleep(wait < TimeSpan.FromMilliseconds(100) ? wait : TimeSpan.FromMilliseconds(100));
            return [];
        }

        try
        {
            return _received.TryTake(out var next, wait) ? next : [];
        }
        catch (InvalidOperationException)
        {
            // Completed while waiting.
            return [];
        }
    }

    /// <inheritdoc />
    public string? Execute(ReadOnlySpan<byte> requestUtf8)
    {
        var end = requestUtf8.IndexOf((byte)0);
        using var document = JsonDocument.Parse((end >= 0 ? requestUtf8[..end] : requestUtf8).ToArray());
        var root = document.RootElement;
        var type = root.TryGetProperty("@type", out var t) ? t.GetString() : null;
        var extra = root.TryGetProperty("@extra", out var e) ? e.GetRawText() : null;
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            switch (type)
            {
                case "getOption" when root.TryGetProperty("name", out var name) && name.GetString() == "version":
                    w.WriteString("@type", "optionValueString");
                    w.WriteString("value", TdlibVersion);
                    break;
                case "getOption" when root.TryGetProperty("name", out var name) && name.GetString() == "commit_hash":
                    w.WriteString("@type", "optionValueString");
                    w.WriteString("value", "GITDIR-NOTFOUND");
                    break;
                case "getOption":
                    w.WriteString("@type", "optionValueEmpty");
                    break;
                case "setLogVerbosityLevel" or "setLogStream" or "addLogMessage" or "setLogTagVerbosityLevel":
                    w.WriteString("@type", "ok");
                    break;
                case "getLogVerbosityLevel":
                    w.WriteString("@type", "logVerbosityLevel");
                    w.WriteNumber("verbosity_level", 1);
                    break;
                case null:
                    w.WriteString("@type", "error");
                    w.WriteNumber("code", 400);
                    w.WriteString("message", "Failed to parse JSON object as TDLib request: Can't find field \"@type\"");
                    break;
                default:
                    w.WriteString("@type", "error");
                    w.WriteNumber("code", 400);
                    w.WriteString("message", SimulatedClient.IsKnownFunction(type)
                        ? "The method can't be executed synchronously"
                        : "Failed to parse JSON object as TDLib request: Unknown class \"" + type + "\"");
                    break;
            }

            if (extra is not null)
            {
                w.WritePropertyName("@extra");
                w.WriteRawValue(extra, skipInputValidation: true);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Queues one object for <see cref="Receive"/>: the fields, then @extra and @client_id.</summary>
    internal void Emit(int clientId, string? extra, Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            fields(w);
            if (extra is not null)
            {
                w.WritePropertyName("@extra");
                w.WriteRawValue(extra, skipInputValidation: true);
            }

            w.WriteNumber("@client_id", clientId);
            w.WriteEndObject();
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                _received.Add(buffer.WrittenSpan.ToArray());
            }
            catch (InvalidOperationException)
            {
                // Disposed meanwhile: nobody receives any more.
            }
        }
    }

    internal static bool TryLockDirectory(string directory, int clientId) => LockedDirectories.TryAdd(directory, clientId);

    internal static void UnlockDirectory(string directory, int clientId) =>
        LockedDirectories.TryRemove(new KeyValuePair<string, int>(directory, clientId));

    internal void Forget(int clientId) => _clients.TryRemove(clientId, out _);

    private static string? TryReadExtra(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.TryGetProperty("@extra", out var extra) ? extra.GetRawText() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A client's own connection to the server (its instance id tells a re-attach from a duplicate).</summary>
    internal ServerLink Connect(SimulatedClient client, int clientId) =>
        new(_serverAddress, Instance + "-" + clientId.ToString(System.Globalization.CultureInfo.InvariantCulture), clientId, client.Route,
            push => OnPush(client, push), client.OnConnectionChanged);

    private static void OnPush(SimulatedClient client, JsonDocument push)
    {
        var root = push.RootElement;
        var kind = root.GetProperty("push").GetString()!;
        if (kind == "proxy")
        {
            client.OnProxyState(root.GetProperty("server").GetString()!, root.GetProperty("port").GetInt32(), root.GetProperty("down").GetBoolean());
            return;
        }

        client.OnPush(kind, root);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var client in _clients.Values)
        {
            client.ReleaseLock();
            await client.DisconnectAsync();
        }

        _received.CompleteAdding();
    }

    /// <inheritdoc />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
