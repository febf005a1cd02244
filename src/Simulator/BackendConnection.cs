using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace TgFleet.Simulator;

/// <summary>
/// One backend process's multiplexed WebSocket: every frame is a JSON object; requests carry
/// <c>id</c>, <c>op</c> and the client id <c>c</c>, answers echo <c>id</c> with <c>ok</c> or
/// <c>error</c>, pushes carry <c>push</c> and <c>c</c>. The wire format is documented in
/// docs/simulator.md.
/// </summary>
public sealed class BackendConnection : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly WebSocket _socket;
    private readonly Cloud _cloud;
    private readonly Channel<byte[]> _outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<int, (string AuthKey, SimUser User)> _attached = new();
    private readonly CancellationTokenSource _stop = new();

    private long _heardAt;

    public BackendConnection(WebSocket socket, Cloud cloud, string instance)
    {
        _socket = socket;
        _cloud = cloud;
        Instance = instance;
        _heardAt = cloud.Time.GetTimestamp();
    }

    /// <summary>How long since the client last sent anything (a frozen client sends nothing, not even pings).</summary>
    public TimeSpan SilentFor => _cloud.Time.GetElapsedTime(Interlocked.Read(ref _heardAt));

    /// <summary>The backend instance's id (survives reconnects, so a re-attach is no duplicate).</summary>
    public string Instance { get; }

    public bool Closed { get; private set; }

    public void Abort()
    {
        Closed = true;
        _socket.Abort();
    }

    public void Dispose() => _stop.Dispose();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var writer = WriteLoopAsync(linked.Token);
        // The client pings often enough to stay live (a quarter of the disconnect delay).
        Enqueue(Frame(w =>
        {
            w.WriteString("push", "hello");
            w.WriteNumber("pingMs", Math.Max(50, _cloud.DisconnectDelay.TotalMilliseconds / 4));
        }));
        SendDownProxies();
        try
        {
            await ReadLoopAsync(linked.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The backend went away (or the network was cut): its clients are detached below.
        }
        finally
        {
            Closed = true;
            _outbound.Writer.TryComplete();
            foreach (var (client, attached) in _attached)
            {
                _cloud.Detach(attached.AuthKey, this, client);
            }

            _attached.Clear();
            try
            {
                await writer;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // Already closing.
            }
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (_socket.State == WebSocketState.Open)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                buffer.Advance(result.Count);
            }
            while (!result.EndOfMessage);

            Interlocked.Exchange(ref _heardAt, _cloud.Time.GetTimestamp());
            var document = JsonDocument.Parse(buffer.WrittenMemory.ToArray());
            _ = HandleAsync(document, cancellationToken);
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _outbound.Reader;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var frame))
            {
                await _socket.SendAsync(frame, WebSocketMessageType.Text, true, cancellationToken);
            }
        }
    }

    private void Enqueue(byte[] frame) => _outbound.Writer.TryWrite(frame);

    private static byte[] Frame(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // ---------------------------------------------------------------- pushes

    internal void PushMessage(int clientId, StoredMessage message, SimUser from) => Enqueue(Frame(w =>
    {
        w.WriteString("push", "message");
        w.WriteNumber("c", clientId);
        w.WritePropertyName("message");
        WireFormat.WriteMessage(w, message);
        w.WritePropertyName("user");
        WireFormat.WriteUser(w, from, false);
    }));

    internal void PushAuthKeyDropped(int clientId)
    {
        _attached.TryRemove(clientId, out _);
        Enqueue(Frame(w =>
        {
            w.WriteString("push", "authKeyDuplicated");
            w.WriteNumber("c", clientId);
        }));
    }

    internal void PushLoggedOut(int clientId, string reason)
    {
        _attached.TryRemove(clientId, out _);
        Enqueue(Frame(w =>
        {
            w.WriteString("push", "loggedOut");
            w.WriteNumber("c", clientId);
            w.WriteString("reason", reason);
        }));
    }

    internal void PushProxy(string server, int port, bool down) => Enqueue(Frame(w =>
    {
        w.WriteString("push", "proxy");
        w.WriteString("server", server);
        w.WriteNumber("port", port);
        w.WriteBoolean("down", down);
    }));

    private void SendDownProxies()
    {
        foreach (var (server, port) in _cloud.DownProxies())
        {
            PushProxy(server, port, true);
        }
    }

    // ---------------------------------------------------------------- requests

    private async Task HandleAsync(JsonDocument document, CancellationToken cancellationToken)
    {
        using (document)
        {
            var request = document.RootElement;
            var id = request.GetProperty("id").GetInt64();
            try
            {
                await DispatchAsync(id, request, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The connection is closing.
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                Error(id, new CloudError(400, "Bad simulator request: " + e.Message));
            }
            catch (Exception e)
            {
                // Never leave a backend waiting: a bug in the simulator is an answer too.
                Error(id, new CloudError(500, "Simulator failure: " + e.GetType().Name));
                throw;
            }
        }
    }

    /// <summary>An array of messages, each with the user on its other side (missed updates, dialogs).</summary>
    private void WriteMessagesWithPeers(Utf8JsonWriter w, string name, List<StoredMessage> messages, SimUser account)
    {
        w.WriteStartArray(name);
        foreach (var message in messages)
        {
            w.WriteStartObject();
            w.WritePropertyName("message");
            WireFormat.WriteMessage(w, message);
            w.WritePropertyName("user");
            WireFormat.WriteUser(w, _cloud.FindById(message.PeerId)!, _cloud.IsContact(account, message.PeerId));
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private void Ok(long id, Action<Utf8JsonWriter>? write = null) => Enqueue(Frame(w =>
    {
        w.WriteNumber("id", id);
        w.WritePropertyName("ok");
        w.WriteStartObject();
        write?.Invoke(w);
        w.WriteEndObject();
    }));

    private void Error(long id, CloudError error) => Enqueue(Frame(w =>
    {
        w.WriteNumber("id", id);
        w.WritePropertyName("error");
        w.WriteStartObject();
        w.WriteNumber("code", error.Code);
        w.WriteString("message", error.Message);
        w.WriteEndObject();
    }));

    private async Task DispatchAsync(long id, JsonElement request, CancellationToken cancellationToken)
    {
        var op = request.GetProperty("op").GetString();
        switch (op)
        {
            case "ping":
                Ok(id);
                return;

            case "sendCode":
                {
                    var (length, error) = _cloud.SendCode(request.GetProperty("phone").GetString()!);
                    if (error is not null)
                    {
                        Error(id, error);
                    }
                    else
                    {
                        Ok(id, w => w.WriteNumber("length", length));
                    }

                    return;
                }

            case "signIn":
                {
                    var (result, error) = _cloud.SignIn(request.GetProperty("phone").GetString()!, request.GetProperty("code").GetString()!);
                    if (error is not null)
                    {
                        Error(id, error);
                        return;
                    }

                    Ok(id, w =>
                    {
                        w.WriteBoolean("password", result!.PasswordNeeded);
                        w.WriteString("hint", result.PasswordHint);
                        w.WriteBoolean("register", result.RegistrationNeeded);
                        if (result.Session is { } session)
                        {
                            w.WriteString("authKey", session.AuthKey);
                            w.WritePropertyName("user");
                            WireFormat.WriteUser(w, _cloud.FindById(session.UserId)!, false);
                        }
                    });
                    return;
                }

            case "checkPassword":
                {
                    var (session, error) = _cloud.CheckPassword(request.GetProperty("phone").GetString()!, request.GetProperty("password").GetString()!);
                    if (error is not null)
                    {
                        Error(id, error);
                        return;
                    }

                    Ok(id, w =>
                    {
                        w.WriteString("authKey", session!.AuthKey);
                        w.WritePropertyName("user");
                        WireFormat.WriteUser(w, _cloud.FindById(session.UserId)!, false);
                    });
                    return;
                }

            case "attach":
                {
                    var client = request.GetProperty("c").GetInt32();
                    var authKey = request.GetProperty("authKey").GetString()!;
                    var (user, error, _) = _cloud.Attach(authKey, this, client);
                    if (error is not null)
                    {
                        Error(id, error);
                        return;
                    }

                    _attached[client] = (authKey, user!);
                    Ok(id, w =>
                    {
                        w.WritePropertyName("user");
                        WireFormat.WriteUser(w, user!, false);
                    });
                    return;
                }

            case "restoring":
                {
                    var delay = _cloud.RestoreDelayOf(request.GetProperty("authKey").GetString()!);
                    Ok(id, w => w.WriteNumber("delayMs", delay));
                    return;
                }

            case "testProxy":
                {
                    var server = request.GetProperty("server").GetString()!;
                    var port = request.GetProperty("port").GetInt32();
                    if (_cloud.IsProxyDown(server, port))
                    {
                        var timeout = request.TryGetProperty("timeout", out var t) ? t.GetDouble() : 10;
                        await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(timeout, 0.05, 10)), _cloud.Time, cancellationToken);
                        Error(id, new CloudError(400, "Connection timed out"));
                    }
                    else
                    {
                        Ok(id);
                    }

                    return;
                }

            default:
                break;
        }

        // Everything below needs an authorized client.
        var clientId = request.GetProperty("c").GetInt32();
        if (!_attached.TryGetValue(clientId, out var me))
        {
            Error(id, new CloudError(401, "AUTH_KEY_UNREGISTERED"));
            return;
        }

        var account = me.User;
        switch (op)
        {
            case "detach":
                _attached.TryRemove(clientId, out _);
                _cloud.Detach(me.AuthKey, this, clientId);
                Ok(id);
                return;

            case "logOut":
                _attached.TryRemove(clientId, out _);
                _cloud.LogOut(me.AuthKey);
                Ok(id);
                return;

            case "resolveUsername":
                UserOrError(id, account, _cloud.ResolveUsername(request.GetProperty("username").GetString()!));
                return;

            case "resolvePhone":
                UserOrError(id, account, _cloud.ResolvePhone(request.GetProperty("phone").GetString()!));
                return;

            case "getUser":
                {
                    var user = _cloud.FindById(request.GetProperty("userId").GetInt64());
                    UserOrError(id, account, user is null ? (null, new CloudError(400, "USER_ID_INVALID")) : (user, null));
                    return;
                }

            case "importContacts":
                {
                    var ids = new List<long>();
                    foreach (var phone in request.GetProperty("phones").EnumerateArray())
                    {
                        ids.Add(_cloud.ImportContact(account, phone.GetString()!));
                    }

                    Ok(id, w =>
                    {
                        w.WriteStartArray("users");
                        foreach (var userId in ids)
                        {
                            if (userId == 0)
                            {
                                w.WriteNullValue();
                            }
                            else
                            {
                                WireFormat.WriteUser(w, _cloud.FindById(userId)!, true);
                            }
                        }

                        w.WriteEndArray();
                    });
                    return;
                }

            case "contacts":
                {
                    var contacts = _cloud.Contacts(account);
                    Ok(id, w =>
                    {
                        w.WriteStartArray("users");
                        foreach (var user in contacts)
                        {
                            WireFormat.WriteUser(w, user, true);
                        }

                        w.WriteEndArray();
                    });
                    return;
                }

            case "send":
                {
                    var peer = request.GetProperty("peer").GetInt64();
                    var text = request.GetProperty("text").GetString()!;
                    var entities = request.TryGetProperty("entities", out var e) ? e.GetRawText() : "[]";
                    var randomId = request.TryGetProperty("randomId", out var r) ? r.GetInt64() : 0;
                    var (message, error) = await _cloud.SendMessageAsync(account, peer, text, entities, randomId, cancellationToken);
                    if (error is not null)
                    {
                        Error(id, error);
                        return;
                    }

                    Ok(id, w =>
                    {
                        w.WritePropertyName("message");
                        WireFormat.WriteMessage(w, message!);
                    });
                    return;
                }

            case "history":
                {
                    var peer = request.GetProperty("peer").GetInt64();
                    var messages = _cloud.History(account, peer, request.GetProperty("from").GetInt64(), request.GetProperty("limit").GetInt32());
                    Ok(id, w =>
                    {
                        w.WriteStartArray("messages");
                        foreach (var message in messages)
                        {
                            WireFormat.WriteMessage(w, message);
                        }

                        w.WriteEndArray();
                    });
                    return;
                }

            case "difference":
                {
                    var missed = _cloud.Difference(account);
                    Ok(id, w => WriteMessagesWithPeers(w, "messages", missed, account));
                    return;
                }

            case "dialogs":
                {
                    var dialogs = _cloud.Dialogs(account);
                    Ok(id, w => WriteMessagesWithPeers(w, "dialogs", dialogs, account));
                    return;
                }

            default:
                Error(id, new CloudError(400, "Unknown simulator operation " + op));
                return;
        }
    }

    private void UserOrError(long id, SimUser account, (SimUser? User, CloudError? Error) result)
    {
        if (result.Error is not null)
        {
            Error(id, result.Error);
            return;
        }

        var contact = _cloud.IsContact(account, result.User!.Id);
        Ok(id, w =>
        {
            w.WritePropertyName("user");
            WireFormat.WriteUser(w, result.User!, contact);
        });
    }
}

/// <summary>How users and messages travel between the cloud and a backend.</summary>
internal static class WireFormat
{
    public static void WriteUser(Utf8JsonWriter w, SimUser user, bool isContact)
    {
        w.WriteStartObject();
        w.WriteNumber("id", user.Id);
        w.WriteString("first", user.FirstName);
        w.WriteString("last", user.LastName);
        w.WriteString("username", user.Username ?? string.Empty);
        w.WriteString("phone", user.HidesPhone ? string.Empty : user.Phone);
        w.WriteBoolean("contact", isContact);
        w.WriteBoolean("deleted", user.Deactivated);
        w.WriteEndObject();
    }

    public static void WriteMessage(Utf8JsonWriter w, StoredMessage message)
    {
        w.WriteStartObject();
        w.WriteNumber("id", message.Id);
        w.WriteNumber("peer", message.PeerId);
        w.WriteBoolean("out", message.Outgoing);
        w.WriteString("text", message.Text);
        w.WriteNumber("date", message.Date);
        w.WritePropertyName("entities");
        w.WriteRawValue(message.EntitiesJson, skipInputValidation: true);
        w.WriteEndObject();
    }
}
