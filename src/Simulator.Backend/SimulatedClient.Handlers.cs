using System.Globalization;
using System.Text.Json;

namespace TgFleet.Simulator.Backend;

internal sealed partial class SimulatedClient
{
    private static readonly HashSet<string> BeforeParameters = new(StringComparer.Ordinal)
    {
        "getAuthorizationState", "setTdlibParameters", "getOption", "setOption", "setLogVerbosityLevel", "setLogStream",
        "getLogVerbosityLevel", "close", "destroy", "addProxy", "removeProxy", "getProxies", "disableProxy", "enableProxy", "testProxy",
    };

    private async Task DispatchAsync(string type, JsonElement request, string? extra)
    {
        if (_state == State.Closed || (_state == State.Closing && type != "getAuthorizationState"))
        {
            Fail(extra, 500, "Request aborted");
            return;
        }

        if (!KnownFunctions.Contains(type))
        {
            Fail(extra, 400, "Failed to parse JSON object as TDLib request: Unknown class \"" + type + "\"");
            return;
        }

        if (!BeforeParameters.Contains(type))
        {
            // Made while a restored database is being opened (restoreDelayMs): it waits, as TDLib queues it.
            await Volatile.Read(ref _restore);
        }

        if (_state == State.WaitTdlibParameters && !BeforeParameters.Contains(type))
        {
            Fail(extra, 400, "Initialization parameters are needed: call setTdlibParameters first");
            return;
        }

        switch (type)
        {
            case "getAuthorizationState":
                Respond(extra, WriteAuthorizationState);
                return;
            case "setTdlibParameters":
                SetTdlibParameters(request, extra);
                return;
            case "getOption":
                GetOption(request, extra);
                return;
            case "setOption":
                lock (_sync)
                {
                    _options[request.GetProperty("name").GetString()!] = request.TryGetProperty("value", out var value) ? value.Clone() : default;
                }

                Ok(extra);
                return;
            case "setLogVerbosityLevel" or "setLogStream":
                Ok(extra);
                return;
            case "getLogVerbosityLevel":
                Respond(extra, w =>
                {
                    w.WriteString("@type", "logVerbosityLevel");
                    w.WriteNumber("verbosity_level", 1);
                });
                return;
            case "close":
                await CloseAsync(extra, deleteDatabase: false, logOutFirst: false);
                return;
            case "destroy":
                await CloseAsync(extra, deleteDatabase: true, logOutFirst: false);
                return;
            case "addProxy":
                AddProxy(request, extra);
                return;
            case "removeProxy" or "enableProxy":
                EnableOrRemoveProxy(type, request.GetProperty("proxy_id").GetInt32(), extra);
                return;
            case "disableProxy":
                lock (_sync)
                {
                    _proxies.ForEach(p => p.IsEnabled = false);
                    RouteChanged();
                    SignalNetworkChanged();
                }

                Ok(extra);
                return;
            case "getProxies":
                lock (_sync)
                {
                    var proxies = _proxies.ToList();
                    Respond(extra, w =>
                    {
                        w.WriteString("@type", "addedProxies");
                        w.WriteStartArray("proxies");
                        foreach (var proxy in proxies)
                        {
                            WriteProxy(w, proxy);
                        }

                        w.WriteEndArray();
                    });
                }

                return;
            case "testProxy":
                await TestProxyAsync(request, extra);
                return;
            case "setAuthenticationPhoneNumber":
                await SetPhoneNumberAsync(request, extra);
                return;
            case "resendAuthenticationCode":
                await ResendCodeAsync(extra);
                return;
            case "checkAuthenticationCode":
                await CheckCodeAsync(request, extra);
                return;
            case "checkAuthenticationPassword":
                await CheckPasswordAsync(request, extra);
                return;
            case "logOut":
                await CloseAsync(extra, deleteDatabase: true, logOutFirst: true);
                return;
            default:
                break;
        }

        if (_state != State.Ready)
        {
            Fail(extra, 401, "Unauthorized");
            return;
        }

        switch (type)
        {
            case "getMe":
                Respond(extra, w => TdObjects.UserFields(w, _session!.Me));
                return;
            case "getUser":
                {
                    var userId = request.GetProperty("user_id").GetInt64();
                    KnownUser? user;
                    lock (_sync)
                    {
                        user = _users.GetValueOrDefault(userId);
                    }

                    if (user is null)
                    {
                        Fail(extra, 404, "Not Found");
                    }
                    else
                    {
                        Respond(extra, w => TdObjects.UserFields(w, user));
                    }

                    return;
                }

            case "getChat":
                {
                    var chatId = request.GetProperty("chat_id").GetInt64();
                    lock (_sync)
                    {
                        if (!_chats.TryGetValue(chatId, out var chat) || !_users.TryGetValue(chatId, out var user))
                        {
                            Fail(extra, 400, "Chat not found");
                            return;
                        }

                        Respond(extra, w => TdObjects.ChatFields(w, chat, user, withLastMessage: true));
                    }

                    return;
                }

            case "createPrivateChat":
                {
                    var userId = request.GetProperty("user_id").GetInt64();
                    lock (_sync)
                    {
                        if (!_users.TryGetValue(userId, out var user))
                        {
                            Fail(extra, 400, "User not found");
                            return;
                        }

                        var chat = EnsureChat(user);
                        Respond(extra, w => TdObjects.ChatFields(w, chat, user, withLastMessage: true));
                    }

                    return;
                }

            case "loadChats":
                await LoadChatsAsync(extra, respond: true);
                return;
            case "getChats":
                await GetChatsAsync(request, extra);
                return;
            case "searchPublicChat":
                await SearchPublicChatAsync(request, extra);
                return;
            case "searchUserByPhoneNumber":
                await SearchUserByPhoneAsync(request, extra);
                return;
            case "importContacts":
                await ImportContactsAsync(request, extra);
                return;
            case "getContacts":
            case "searchContacts":
                await ContactsAsync(type == "searchContacts" ? request.GetProperty("query").GetString() ?? string.Empty : string.Empty,
                    request.TryGetProperty("limit", out var limit) ? limit.GetInt32() : int.MaxValue, extra);
                return;
            case "sendMessage":
                SendMessage(request, extra);
                return;
            case "getChatHistory":
                await GetChatHistoryAsync(request, extra);
                return;
            case "viewMessages":
                ViewMessages(request, extra);
                return;
            case "setDatabaseEncryptionKey":
                SetDatabaseEncryptionKey(request, extra);
                return;
            default:
                // A real TDLib function the simulator does not play: an error, never silence.
                Fail(extra, 400, "Unsupported by the Telegram simulator: " + type);
                return;
        }
    }

    // ---------------------------------------------------------------- parameters and options

    private void SetTdlibParameters(JsonElement request, string? extra)
    {
        lock (_sync)
        {
            if (_state != State.WaitTdlibParameters || _restoring)
            {
                Fail(extra, 400, "Unexpected setTdlibParameters");
                return;
            }

            if (!request.TryGetProperty("api_id", out var apiId) || apiId.ValueKind != JsonValueKind.Number || apiId.GetInt32() <= 0)
            {
                Fail(extra, 400, "Valid api_id must be provided. Can be obtained at https://my.telegram.org");
                return;
            }

            if (!request.TryGetProperty("api_hash", out var apiHash) || string.IsNullOrEmpty(apiHash.GetString()))
            {
                Fail(extra, 400, "Valid api_hash must be provided. Can be obtained at https://my.telegram.org");
                return;
            }

            var directory = request.TryGetProperty("database_directory", out var d) && d.GetString() is { Length: > 0 } dir ? dir : "tdlib";
            var full = Path.GetFullPath(directory);
            if (!SimulatorTdJsonBackend.TryLockDirectory(full, _id))
            {
                // TDLib retries for ~10 s before answering; the simulator answers at once (docs/simulator.md).
                Fail(extra, 400, "Can't lock file \"" + directory.TrimEnd('/') + "/td.binlog\", because it is already in use by current program");
                return;
            }

            var key = request.TryGetProperty("database_encryption_key", out var k) && k.GetString() is { Length: > 0 } base64
                ? Convert.FromBase64String(base64)
                : [];
            var (session, wrongKey) = SessionFile.Read(full, key);
            if (wrongKey)
            {
                SimulatorTdJsonBackend.UnlockDirectory(full, _id);
                Fail(extra, 401, "Wrong database encryption key");
                return;
            }

            _directory = full;
            _lockKey = full;
            _databaseKey = key;
            if (session is null)
            {
                SessionFile.Write(full, key, null);
            }

            UpdateOption("unix_time", "optionValueInteger", w => w.WriteString("value", Now.ToString(CultureInfo.InvariantCulture)));
            UpdateOption("utc_time_offset", "optionValueInteger", w => w.WriteString("value", "0"));
            UpdateOption("telegram_service_notifications_chat_id", "optionValueInteger", w => w.WriteString("value", "777000"));
            UpdateOption("message_text_length_max", "optionValueInteger", w => w.WriteString("value", "4096"));
            if (session is not null)
            {
                _session = session;
                _users[session.Me.Id] = session.Me;
                UpdateOption("my_id", "optionValueInteger", w => w.WriteString("value", session.Me.Id.ToString(CultureInfo.InvariantCulture)));
                EmitUser(session.Me);
                // The account may open its database slowly (the fault restoreDelayMs): ready after that.
                _restoring = true;
                Volatile.Write(ref _restore, RestoreAsync(session));
            }
            else
            {
                SetState(State.WaitPhoneNumber);
            }

            Ok(extra);
            SetConnectionState("connectionStateConnecting");
            RefreshConnectionState();
        }
    }

    private void GetOption(JsonElement request, string? extra)
    {
        var name = request.GetProperty("name").GetString() ?? string.Empty;
        lock (_sync)
        {
            switch (name)
            {
                case "version":
                    Respond(extra, w =>
                    {
                        w.WriteString("@type", "optionValueString");
                        w.WriteString("value", SimulatorTdJsonBackend.TdlibVersion);
                    });
                    return;
                case "commit_hash":
                    Respond(extra, w =>
                    {
                        w.WriteString("@type", "optionValueString");
                        w.WriteString("value", "GITDIR-NOTFOUND");
                    });
                    return;
                case "my_id" when _session is not null && _state == State.Ready:
                    Respond(extra, w =>
                    {
                        w.WriteString("@type", "optionValueInteger");
                        w.WriteString("value", _session.Me.Id.ToString(CultureInfo.InvariantCulture));
                    });
                    return;
                case "unix_time" when _state != State.WaitTdlibParameters:
                    Respond(extra, w =>
                    {
                        w.WriteString("@type", "optionValueInteger");
                        w.WriteString("value", Now.ToString(CultureInfo.InvariantCulture));
                    });
                    return;
                default:
                    if (_options.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Object)
                    {
                        Respond(extra, w =>
                        {
                            foreach (var property in value.EnumerateObject())
                            {
                                property.WriteTo(w);
                            }
                        });
                    }
                    else
                    {
                        Respond(extra, w => w.WriteString("@type", "optionValueEmpty"));
                    }

                    return;
            }
        }
    }

    // ---------------------------------------------------------------- closing

    private async Task CloseAsync(string? extra, bool deleteDatabase, bool logOutFirst)
    {
        StoredSession? session;
        lock (_sync)
        {
            if (_state is State.Closing or State.Closed)
            {
                Fail(extra, 500, "Request aborted");
                return;
            }

            session = _session;
            Ok(extra);
            if (logOutFirst && _state != State.WaitTdlibParameters)
            {
                SetState(State.LoggingOut);
            }

            SetState(State.Closing);
        }

        if (session is not null && IsLinkConnected)
        {
            // The session stops being live before Closed is reported (so the cloud keeps later
            // messages for the next session); an unreachable server does not hold close up.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                (await Link.CallAsync(logOutFirst ? "logOut" : "detach", _id, null, timeout.Token)).Document?.Dispose();
            }
            catch (OperationCanceledException)
            {
                // The server went away meanwhile: it detaches the session when it sees the socket drop.
            }
        }

        lock (_sync)
        {
            if (deleteDatabase && _directory is not null)
            {
                SessionFile.Delete(_directory);
            }

            ReleaseLock();
            SetState(State.Closed);
            _backend.Forget(_id);
        }

        await DisconnectAsync();
    }

    /// <summary>TDLib logs out by itself after a server 401 (SESSION_REVOKED, USER_DEACTIVATED…).</summary>
    private void LogOutBySelf()
    {
        lock (_sync)
        {
            if (_state is State.LoggingOut or State.Closing or State.Closed)
            {
                return;
            }

            SetState(State.LoggingOut);
            if (_directory is not null)
            {
                SessionFile.Delete(_directory);
            }

            SetState(State.Closing);
            ReleaseLock();
            SetState(State.Closed);
            _backend.Forget(_id);
        }

        _ = DisconnectAsync();
    }

    public void ReleaseLock()
    {
        if (_lockKey is not null)
        {
            SimulatorTdJsonBackend.UnlockDirectory(_lockKey, _id);
            _lockKey = null;
        }
    }

    /// <summary>As TDLib: td.binlog is re-encrypted under the new key, which the next start must give.</summary>
    private void SetDatabaseEncryptionKey(JsonElement request, string? extra)
    {
        var key = request.TryGetProperty("new_encryption_key", out var k) && k.GetString() is { Length: > 0 } base64 ? Convert.FromBase64String(base64) : [];
        lock (_sync)
        {
            var (session, _) = SessionFile.Read(_directory!, _databaseKey);
            SessionFile.Write(_directory!, key, session);
            _databaseKey = key;
        }

        Ok(extra);
    }
}
