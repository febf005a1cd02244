using System.Text.Json;

namespace TgFleet.Simulator.Backend;

/// <summary>
/// One TDLib client played against the simulator: TDLib's authorization state machine, its
/// objects and updates in TDLib's order, its errors (codes and texts as TDLib 1.8.65 gives them),
/// its session in database_directory/td.binlog.
/// </summary>
internal sealed partial class SimulatedClient
{
    private static readonly HashSet<string> KnownFunctions = LoadKnownFunctions();
    private readonly SimulatorTdJsonBackend _backend;
    private readonly int _id;
    private readonly Lock _sync = new();
    private readonly Dictionary<long, KnownUser> _users = [];
    private readonly Dictionary<long, KnownChat> _chats = [];
    private readonly Dictionary<string, JsonElement> _options = new(StringComparer.Ordinal);
    private readonly List<KnownProxy> _proxies = [];
    private readonly HashSet<(string, int)> _downProxies = [];
    private TaskCompletionSource _networkChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private State _state = State.NotStarted;
    private string _phone = string.Empty;
    private (int Length, int Timeout) _codeInfo;
    private string _passwordHint = string.Empty;
    private string? _directory;
    private string? _lockKey;
    private byte[] _databaseKey = [];
    private StoredSession? _session;
    private Task<bool> _attached = Task.FromResult(false);
    private bool _dead;
    private bool _restoring;
    private Task _restore = Task.CompletedTask;
    private bool _chatsLoaded;
    private string? _connectionState;
    private int _nextProxyId;
    private long _localMessageCounter;
    private DateTimeOffset _floodUntil;
    private volatile bool _logOutAfterRequest;
    private ServerLink? _link;
    private volatile LinkProxy? _route;

    internal enum State
    {
        NotStarted,
        WaitTdlibParameters,
        WaitPhoneNumber,
        WaitCode,
        WaitPassword,
        WaitRegistration,
        Ready,
        LoggingOut,
        Closing,
        Closed,
    }

    public SimulatedClient(SimulatorTdJsonBackend backend, int id)
    {
        _backend = backend;
        _id = id;
    }

    public static bool IsKnownFunction(string name) => KnownFunctions.Contains(name);

    private static HashSet<string> LoadKnownFunctions()
    {
        using var stream = typeof(SimulatedClient).Assembly.GetManifestResourceStream("TgFleet.Simulator.Backend.TdFunctions.txt")!;
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                set.Add(line);
            }
        }

        return set;
    }

    private long Now => _backend.Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>This client's own connection to the cloud, made at its first use.</summary>
    private ServerLink Link
    {
        get
        {
            if (Volatile.Read(ref _link) is { } link)
            {
                return link;
            }

            var made = _backend.Connect(this, _id);
            if (Interlocked.CompareExchange(ref _link, made, null) is { } other)
            {
                _ = made.DisposeAsync().AsTask();
                return other;
            }

            return made;
        }
    }

    private bool IsLinkConnected => Volatile.Read(ref _link)?.IsConnected ?? false;

    /// <summary>The real proxy this client's connection goes through now (null: directly), read at every connect.</summary>
    public LinkProxy? Route() => _route;

    /// <summary>Closes this client's connection (closed or destroyed, or the backend disposed).</summary>
    public async Task DisconnectAsync()
    {
        if (Interlocked.Exchange(ref _link, null) is { } link)
        {
            await link.DisposeAsync();
        }
    }

    /// <summary>
    /// After a proxy change: the enabled proxy is a real one when it is SOCKS5 on a loopback address
    /// (the egress gate; nothing beyond loopback is reachable here), and then the connection goes
    /// through it; any other proxy is played by the cloud (up or down by name). A changed route
    /// reconnects, as TDLib does.
    /// </summary>
    private void RouteChanged()
    {
        var proxy = _proxies.Find(p => p.IsEnabled);
        LinkProxy? route = null;
        if (proxy is not null && IsLoopback(proxy.Server))
        {
            using var type = JsonDocument.Parse(proxy.TypeJson);
            var root = type.RootElement;
            if (root.TryGetProperty("@type", out var t) && t.ValueEquals("proxyTypeSocks5"u8))
            {
                route = new LinkProxy(new Uri("socks5://" + (proxy.Server.Contains(':', StringComparison.Ordinal) ? "[" + proxy.Server + "]" : proxy.Server) + ":" +
                    proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    root.TryGetProperty("username", out var u) ? u.GetString() : null, root.TryGetProperty("password", out var pw) ? pw.GetString() : null);
            }
        }

        if (route != _route)
        {
            _route = route;
            Volatile.Read(ref _link)?.Reconnect();
        }
    }

    private static bool IsLoopback(string server) =>
        server == "localhost" || (System.Net.IPAddress.TryParse(server, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    // ---------------------------------------------------------------- output

    private void Respond(string? extra, Action<Utf8JsonWriter> fields) => _backend.Emit(_id, extra, fields);

    private void Ok(string? extra) => Respond(extra, w => w.WriteString("@type", "ok"));

    private void Fail(string? extra, int code, string message) => Respond(extra, w =>
    {
        w.WriteString("@type", "error");
        w.WriteNumber("code", code);
        w.WriteString("message", message);
    });

    private void Update(Action<Utf8JsonWriter> fields) => _backend.Emit(_id, null, fields);

    private void UpdateOption(string name, string type, Action<Utf8JsonWriter> value) => Update(w =>
    {
        w.WriteString("@type", "updateOption");
        w.WriteString("name", name);
        w.WriteStartObject("value");
        w.WriteString("@type", type);
        value(w);
        w.WriteEndObject();
    });

    private void WriteAuthorizationState(Utf8JsonWriter w)
    {
        switch (_state)
        {
            case State.WaitCode:
                w.WriteString("@type", "authorizationStateWaitCode");
                w.WriteStartObject("code_info");
                w.WriteString("@type", "authenticationCodeInfo");
                w.WriteString("phone_number", _phone);
                w.WriteStartObject("type");
                w.WriteString("@type", "authenticationCodeTypeSms");
                w.WriteNumber("length", _codeInfo.Length);
                w.WriteEndObject();
                w.WriteNumber("timeout", _codeInfo.Timeout);
                w.WriteEndObject();
                break;
            case State.WaitPassword:
                w.WriteString("@type", "authorizationStateWaitPassword");
                w.WriteString("password_hint", _passwordHint);
                w.WriteBoolean("has_recovery_email_address", false);
                w.WriteBoolean("has_passport_data", false);
                w.WriteString("recovery_email_address_pattern", string.Empty);
                break;
            case State.WaitRegistration:
                w.WriteString("@type", "authorizationStateWaitRegistration");
                w.WriteStartObject("terms_of_service");
                w.WriteString("@type", "termsOfService");
                w.WritePropertyName("text");
                TdObjects.FormattedText(w, "Telegram simulator terms of service.", "[]");
                w.WriteNumber("min_user_age", 0);
                w.WriteBoolean("show_popup", false);
                w.WriteEndObject();
                break;
            default:
                w.WriteString("@type", "authorizationState" + (_state == State.NotStarted ? State.WaitTdlibParameters : _state));
                break;
        }
    }

    private void SetState(State state)
    {
        _state = state;
        Update(w =>
        {
            w.WriteString("@type", "updateAuthorizationState");
            w.WriteStartObject("authorization_state");
            WriteAuthorizationState(w);
            w.WriteEndObject();
        });
    }

    private void SetConnectionState(string state)
    {
        if (_connectionState == state || _state is State.NotStarted or State.WaitTdlibParameters or State.Closed)
        {
            return;
        }

        _connectionState = state;
        Update(w =>
        {
            w.WriteString("@type", "updateConnectionState");
            w.WriteStartObject("state");
            w.WriteString("@type", state);
            w.WriteEndObject();
        });
    }

    private void RefreshConnectionState()
    {
        var proxy = _proxies.Find(p => p.IsEnabled);
        if (proxy is not null && _downProxies.Contains((proxy.Server, proxy.Port)))
        {
            SetConnectionState("connectionStateConnectingToProxy");
        }
        else if (!IsLinkConnected)
        {
            SetConnectionState(proxy is null ? "connectionStateConnecting" : "connectionStateConnectingToProxy");
        }
        else
        {
            if (_state == State.Ready && _connectionState is not "connectionStateReady")
            {
                SetConnectionState("connectionStateUpdating");
            }

            SetConnectionState("connectionStateReady");
        }
    }

    // ---------------------------------------------------------------- input

    public void Handle(JsonDocument document)
    {
        var root = document.RootElement;
        string? extra = root.TryGetProperty("@extra", out var e) ? e.GetRawText() : null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("@type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            document.Dispose();
            Fail(extra, 400, "Failed to parse JSON object as TDLib request: Can't find field \"@type\"");
            return;
        }

        var type = typeElement.GetString()!;
        lock (_sync)
        {
            if (_state == State.NotStarted)
            {
                _state = State.WaitTdlibParameters;
                UpdateOption("version", "optionValueString", w => w.WriteString("value", SimulatorTdJsonBackend.TdlibVersion));
                UpdateOption("commit_hash", "optionValueString", w => w.WriteString("value", "GITDIR-NOTFOUND"));
                SetState(State.WaitTdlibParameters);
            }
        }

        _ = RunAsync(document, type, extra);
    }

    private void LogOutIfTheServerSaidSo()
    {
        if (_logOutAfterRequest)
        {
            LogOutBySelf();
        }
    }

    private async Task RunAsync(JsonDocument document, string type, string? extra)
    {
        using (document)
        {
            try
            {
                await DispatchAsync(type, document.RootElement, extra);
                LogOutIfTheServerSaidSo();
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A field is missing or has the wrong type: TDLib answers 400 with the parse failure.
                Fail(extra, 400, "Failed to parse JSON object as TDLib request: " + ex.Message);
            }
            catch (OperationCanceledException)
            {
                Fail(extra, 500, "Request aborted");
            }
        }
    }
}
