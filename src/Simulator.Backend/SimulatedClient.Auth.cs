using System.Globalization;
using System.Text.Json;

namespace TgFleet.Simulator.Backend;

internal sealed partial class SimulatedClient
{
    private async Task SetPhoneNumberAsync(JsonElement request, string? extra)
    {
        var phone = request.GetProperty("phone_number").GetString() ?? string.Empty;
        lock (_sync)
        {
            if (_state is not (State.WaitPhoneNumber or State.WaitCode or State.WaitPassword or State.WaitRegistration))
            {
                Fail(extra, 400, "Call to setAuthenticationPhoneNumber unexpected");
                return;
            }

            if (phone.Length == 0)
            {
                Fail(extra, 400, "Phone number must be non-empty");
                return;
            }
        }

        var answer = await AuthCallAsync("sendCode", w => w.WriteString("phone", phone));
        lock (_sync)
        {
            if (answer.IsError)
            {
                Fail(extra, answer.Code, answer.Message);
                return;
            }

            _phone = phone;
            _codeInfo = (answer.Ok.GetProperty("length").GetInt32(), 60);
            answer.Document!.Dispose();
            SetState(State.WaitCode);
            Ok(extra);
        }
    }

    private async Task ResendCodeAsync(string? extra)
    {
        string phone;
        lock (_sync)
        {
            if (_state != State.WaitCode)
            {
                Fail(extra, 400, "Call to resendAuthenticationCode unexpected");
                return;
            }

            phone = _phone;
        }

        var answer = await AuthCallAsync("sendCode", w => w.WriteString("phone", phone));
        lock (_sync)
        {
            if (answer.IsError)
            {
                Fail(extra, answer.Code, answer.Message);
                return;
            }

            _codeInfo = (answer.Ok.GetProperty("length").GetInt32(), 60);
            answer.Document!.Dispose();
            SetState(State.WaitCode);
            Ok(extra);
        }
    }

    private async Task CheckCodeAsync(JsonElement request, string? extra)
    {
        var code = request.GetProperty("code").GetString() ?? string.Empty;
        string phone;
        lock (_sync)
        {
            if (_state != State.WaitCode)
            {
                Fail(extra, 400, "Call to checkAuthenticationCode unexpected");
                return;
            }

            phone = _phone;
        }

        var answer = await AuthCallAsync("signIn", w =>
        {
            w.WriteString("phone", phone);
            w.WriteString("code", code);
        });
        if (answer.IsError)
        {
            lock (_sync)
            {
                Fail(extra, answer.Code, answer.Message);
                if (answer.Message == "PHONE_CODE_EXPIRED")
                {
                    // TDLib goes back to asking for the phone number when the code has expired.
                    SetState(State.WaitPhoneNumber);
                }
            }

            return;
        }

        using (answer.Document)
        {
            var ok = answer.Ok;
            if (ok.GetProperty("password").GetBoolean())
            {
                lock (_sync)
                {
                    _passwordHint = ok.GetProperty("hint").GetString() ?? string.Empty;
                    SetState(State.WaitPassword);
                    Ok(extra);
                }

                return;
            }

            if (ok.GetProperty("register").GetBoolean())
            {
                lock (_sync)
                {
                    SetState(State.WaitRegistration);
                    Ok(extra);
                }

                return;
            }

            await SignedInAsync(ok, extra);
        }
    }

    private async Task CheckPasswordAsync(JsonElement request, string? extra)
    {
        var password = request.GetProperty("password").GetString() ?? string.Empty;
        string phone;
        lock (_sync)
        {
            if (_state != State.WaitPassword)
            {
                Fail(extra, 400, "Call to checkAuthenticationPassword unexpected");
                return;
            }

            phone = _phone;
        }

        var answer = await AuthCallAsync("checkPassword", w =>
        {
            w.WriteString("phone", phone);
            w.WriteString("password", password);
        });
        if (answer.IsError)
        {
            Fail(extra, answer.Code, answer.Message);
            return;
        }

        using (answer.Document)
        {
            await SignedInAsync(answer.Ok, extra);
        }
    }

    private async Task SignedInAsync(JsonElement ok, string? extra)
    {
        var session = new StoredSession(ok.GetProperty("authKey").GetString()!, ReadUser(ok.GetProperty("user")));
        var attach = AttachAsync(session);
        await attach;
        lock (_sync)
        {
            _session = session;
            _attached = attach;
            _users[session.Me.Id] = session.Me;
            SessionFile.Write(_directory!, _databaseKey, session);
            UpdateOption("my_id", "optionValueInteger", w => w.WriteString("value", session.Me.Id.ToString(CultureInfo.InvariantCulture)));
            EmitUser(session.Me);
            SetState(State.Ready);
            Ok(extra);
            RefreshConnectionState();
        }

        await SyncAsync();
    }

    /// <summary>Fetches what arrived while no session of this account was online (as TDLib's getDifference).</summary>
    private async Task SyncAsync()
    {
        var answer = await Link.CallAsync("difference", _id, null);
        if (answer.IsError)
        {
            return;
        }

        using (answer.Document)
        {
            foreach (var missed in answer.Ok.GetProperty("messages").EnumerateArray())
            {
                IncomingMessage(missed.GetProperty("message"), ReadUser(missed.GetProperty("user")));
            }
        }
    }

    /// <summary>
    /// Auth queries: short FLOOD_WAITs are waited out, long ones become 429 "Too Many Requests: retry after N".
    /// </summary>
    private async Task<CloudAnswer> AuthCallAsync(string op, Action<Utf8JsonWriter> args)
    {
        while (true)
        {
            await WaitForNetworkAsync();
            var answer = await Link.CallAsync(op, _id, args);
            if (answer.IsError && TryFloodWait(answer.Message, out var seconds))
            {
                if (seconds <= 60)
                {
                    await Task.Delay(TimeSpan.FromSeconds(seconds), _backend.Time);
                    continue;
                }

                return new CloudAnswer(null, 429, "Too Many Requests: retry after " + seconds.ToString(CultureInfo.InvariantCulture));
            }

            return answer;
        }
    }

    private static bool TryFloodWait(string message, out int seconds)
    {
        seconds = 0;
        return message.StartsWith("FLOOD_WAIT_", StringComparison.Ordinal) &&
            int.TryParse(message.AsSpan("FLOOD_WAIT_".Length), NumberStyles.None, CultureInfo.InvariantCulture, out seconds);
    }

    private static KnownUser ReadUser(JsonElement user) => new(
        user.GetProperty("id").GetInt64(), user.GetProperty("first").GetString()!, user.GetProperty("last").GetString()!,
        user.GetProperty("username").GetString()!, user.GetProperty("phone").GetString()!, user.GetProperty("contact").GetBoolean(),
        user.GetProperty("deleted").GetBoolean());

    // ---------------------------------------------------------------- the session on the server

    /// <summary>
    /// A stored session, restored: ready once the cloud's <c>restoreDelayMs</c> for its account has
    /// passed (0 unless a test sets it; asked for at most 1 s, so an unreachable cloud delays a restore
    /// by that much), as TDLib is ready once it has opened its database.
    /// </summary>
    private async Task RestoreAsync(StoredSession session)
    {
        var delay = 0;
        try
        {
            using var asking = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var answer = await Link.CallAsync("restoring", _id, w => w.WriteString("authKey", session.AuthKey), asking.Token);
            if (!answer.IsError)
            {
                using (answer.Document)
                {
                    delay = answer.Ok.GetProperty("delayMs").GetInt32();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // No answer: ready at once.
        }

        if (delay > 0)
        {
            await Task.Delay(delay);
        }

        lock (_sync)
        {
            _restoring = false;
            if (_state != State.WaitTdlibParameters || _dead)
            {
                return; // closed meanwhile
            }

            SetState(State.Ready);
            _attached = AttachAsync(session);
            RefreshConnectionState();
        }
    }

    /// <summary>Binds this client's auth key to the shared connection (again after every reconnect).</summary>
    private async Task<bool> AttachAsync(StoredSession session)
    {
        await WaitForNetworkAsync();
        var answer = await Link.CallAsync("attach", _id, w => w.WriteString("authKey", session.AuthKey));
        if (!answer.IsError)
        {
            answer.Document!.Dispose();
            bool ready;
            lock (_sync)
            {
                ready = _state == State.Ready;
            }

            if (ready)
            {
                _ = SyncAsync();
            }

            return true;
        }

        if (answer.Code == 406)
        {
            KeyDropped();
        }
        else if (answer.Code == 401)
        {
            LogOutBySelf();
        }

        return false;
    }

    /// <summary>
    /// AUTH_KEY_DUPLICATED: the cloud dropped this auth key. TDLib reports it as an
    /// updateServiceNotification whose type starts with AUTH_KEY_DROP_ and does not log out by
    /// itself: every later query fails with 406 until the app destroys the client.
    /// </summary>
    private void KeyDropped()
    {
        lock (_sync)
        {
            if (_dead)
            {
                return;
            }

            _dead = true;
            Update(w =>
            {
                w.WriteString("@type", "updateServiceNotification");
                w.WriteString("type", "AUTH_KEY_DROP_DUPLICATE");
                w.WritePropertyName("content");
                TdObjects.MessageText(w, "The session was terminated: its authorization key was used from two connections at once (AUTH_KEY_DUPLICATED). Log in again.", "[]");
            });
        }
    }

    /// <summary>A call that needs the session: waits for the attach, maps the cloud's session errors.</summary>
    private async Task<CloudAnswer> SessionCallAsync(string op, Action<Utf8JsonWriter>? args)
    {
        for (var attempt = 0; ; attempt++)
        {
            await WaitForNetworkAsync();
            Task<bool> attached;
            lock (_sync)
            {
                if (_dead)
                {
                    return new CloudAnswer(null, 406, "AUTH_KEY_DUPLICATED");
                }

                attached = _attached;
            }

            if (!await attached)
            {
                lock (_sync)
                {
                    return _dead ? new CloudAnswer(null, 406, "AUTH_KEY_DUPLICATED") : new CloudAnswer(null, 401, "Unauthorized");
                }
            }

            var answer = await Link.CallAsync(op, _id, args);
            if (answer.IsError && answer.Code == 401 && answer.Message == "AUTH_KEY_UNREGISTERED" && attempt < 3)
            {
                // The connection was re-established and the session not yet bound again.
                lock (_sync)
                {
                    if (_attached == attached && _session is not null)
                    {
                        _attached = AttachAsync(_session);
                    }
                }

                continue;
            }

            if (answer.IsError && answer.Code == 401)
            {
                // Logged out by the server: TDLib reports this request's failure, then logs out by itself.
                _logOutAfterRequest = true;
            }
            else if (answer.IsError && answer.Code == 406)
            {
                KeyDropped();
            }
            else if (answer.IsError && answer.Code == 403)
            {
                // TDLib turns most server 403s (USER_PRIVACY_RESTRICTED, CHAT_WRITE_FORBIDDEN) into 400.
                return answer with { Code = 400 };
            }

            return answer;
        }
    }

    // ---------------------------------------------------------------- pushes and connectivity

    public void OnPush(string kind, JsonElement push)
    {
        switch (kind)
        {
            case "authKeyDuplicated":
                KeyDropped();
                break;
            case "loggedOut":
                LogOutBySelf();
                break;
            case "message":
                IncomingMessage(push.GetProperty("message"), ReadUser(push.GetProperty("user")));
                break;
            default:
                break;
        }
    }

    public void OnConnectionChanged(bool connected)
    {
        lock (_sync)
        {
            if (connected && _state == State.Ready && _session is not null && !_dead)
            {
                // The server detached every session of the dropped socket: bind again.
                _attached = AttachAsync(_session);
            }

            RefreshConnectionState();
            SignalNetworkChanged();
        }
    }

    public void OnProxyState(string server, int port, bool down)
    {
        lock (_sync)
        {
            if (down)
            {
                _downProxies.Add((server, port));
            }
            else
            {
                _downProxies.Remove((server, port));
            }

            RefreshConnectionState();
            SignalNetworkChanged();
        }
    }

    private void SignalNetworkChanged()
    {
        var changed = _networkChanged;
        _networkChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    /// <summary>Waits while the enabled proxy is down (TDLib keeps trying to connect through it).</summary>
    private async Task WaitForNetworkAsync()
    {
        while (true)
        {
            Task changed;
            lock (_sync)
            {
                var proxy = _proxies.Find(p => p.IsEnabled);
                if (proxy is null || !_downProxies.Contains((proxy.Server, proxy.Port)))
                {
                    return;
                }

                changed = _networkChanged.Task;
            }

            await changed;
        }
    }

    // ---------------------------------------------------------------- proxies

    private void AddProxy(JsonElement request, string? extra)
    {
        if (!request.TryGetProperty("proxy", out var proxy) || proxy.ValueKind != JsonValueKind.Object)
        {
            Fail(extra, 400, "Proxy must be non-empty");
            return;
        }

        var server = proxy.GetProperty("server").GetString() ?? string.Empty;
        var port = proxy.GetProperty("port").GetInt32();
        if (server.Length == 0)
        {
            Fail(extra, 400, "Proxy must be non-empty");
            return;
        }

        if (port is <= 0 or > 65535)
        {
            Fail(extra, 400, "Wrong port number");
            return;
        }

        var enable = request.TryGetProperty("enable", out var e) && e.GetBoolean();
        var comment = request.TryGetProperty("comment", out var c) ? c.GetString() ?? string.Empty : string.Empty;
        lock (_sync)
        {
            if (enable)
            {
                _proxies.ForEach(p => p.IsEnabled = false);
            }

            var added = new KnownProxy(++_nextProxyId, server, port, proxy.GetProperty("type").GetRawText(), comment) { IsEnabled = enable };
            _proxies.Add(added);
            Respond(extra, w => WriteProxyFields(w, added));
            RouteChanged();
            RefreshConnectionState();
            SignalNetworkChanged();
        }
    }

    private void EnableOrRemoveProxy(string type, int proxyId, string? extra)
    {
        lock (_sync)
        {
            var proxy = _proxies.Find(p => p.Id == proxyId);
            if (proxy is null)
            {
                Fail(extra, 400, "Unknown proxy identifier");
                return;
            }

            if (type == "removeProxy")
            {
                _proxies.Remove(proxy);
            }
            else
            {
                _proxies.ForEach(p => p.IsEnabled = false);
                proxy.IsEnabled = true;
            }

            Ok(extra);
            RouteChanged();
            RefreshConnectionState();
            SignalNetworkChanged();
        }
    }

    private static void WriteProxy(Utf8JsonWriter w, KnownProxy proxy)
    {
        w.WriteStartObject();
        WriteProxyFields(w, proxy);
        w.WriteEndObject();
    }

    private static void WriteProxyFields(Utf8JsonWriter w, KnownProxy proxy)
    {
        w.WriteString("@type", "addedProxy");
        w.WriteNumber("id", proxy.Id);
        w.WriteNumber("last_used_date", 0);
        w.WriteBoolean("is_enabled", proxy.IsEnabled);
        w.WriteString("comment", proxy.Comment);
        w.WriteStartObject("proxy");
        w.WriteString("@type", "proxy");
        w.WriteString("server", proxy.Server);
        w.WriteNumber("port", proxy.Port);
        w.WritePropertyName("type");
        w.WriteRawValue(proxy.TypeJson, skipInputValidation: true);
        w.WriteEndObject();
    }

    private async Task TestProxyAsync(JsonElement request, string? extra)
    {
        if (!request.TryGetProperty("proxy", out var proxy) || proxy.ValueKind != JsonValueKind.Object)
        {
            Fail(extra, 400, "Proxy must be non-empty");
            return;
        }

        var server = proxy.GetProperty("server").GetString() ?? string.Empty;
        var port = proxy.GetProperty("port").GetInt32();
        var timeout = request.TryGetProperty("timeout", out var t) ? t.GetDouble() : 0;
        var answer = await Link.CallAsync("testProxy", _id, w =>
        {
            w.WriteString("server", server);
            w.WriteNumber("port", port);
            w.WriteNumber("timeout", timeout > 0 ? timeout : 10);
        });
        if (answer.IsError)
        {
            Fail(extra, answer.Code, answer.Message);
        }
        else
        {
            answer.Document!.Dispose();
            Ok(extra);
        }
    }
}
