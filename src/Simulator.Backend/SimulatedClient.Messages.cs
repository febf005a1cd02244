using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace TgFleet.Simulator.Backend;

internal sealed partial class SimulatedClient
{
    private const int MessageIdShift = 20;

    // ---------------------------------------------------------------- users and chats (under _sync)

    private void EmitUser(KnownUser user) => Update(w =>
    {
        w.WriteString("@type", "updateUser");
        w.WritePropertyName("user");
        TdObjects.User(w, user);
    });

    /// <summary>Remembers a user; emits updateUser when it is new or changed (before any use of it, as TDLib does).</summary>
    private KnownUser SeeUser(KnownUser user)
    {
        if (!_users.TryGetValue(user.Id, out var known) || known != user)
        {
            _users[user.Id] = user;
            EmitUser(user);
        }

        return user;
    }

    private KnownChat EnsureChat(KnownUser user)
    {
        if (!_chats.TryGetValue(user.Id, out var chat))
        {
            chat = new KnownChat(user.Id);
            _chats[user.Id] = chat;
            Update(w =>
            {
                w.WriteString("@type", "updateNewChat");
                w.WriteStartObject("chat");
                TdObjects.ChatFields(w, chat, user, withLastMessage: false);
                w.WriteEndObject();
            });
        }

        return chat;
    }

    private void SetLastMessage(KnownChat chat, KnownMessage message)
    {
        chat.LastMessage = message;
        Update(w =>
        {
            w.WriteString("@type", "updateChatLastMessage");
            w.WriteNumber("chat_id", chat.Id);
            w.WritePropertyName("last_message");
            TdObjects.Message(w, message);
            TdObjects.ChatPositions(w, chat);
        });
    }

    private static KnownMessage FromWire(JsonElement message, long selfId)
    {
        var outgoing = message.GetProperty("out").GetBoolean();
        var peer = message.GetProperty("peer").GetInt64();
        return new KnownMessage(
            message.GetProperty("id").GetInt64() << MessageIdShift,
            peer,
            outgoing ? selfId : peer,
            outgoing,
            message.GetProperty("text").GetString()!,
            message.GetProperty("entities").GetRawText(),
            message.GetProperty("date").GetInt64());
    }

    private void IncomingMessage(JsonElement wire, KnownUser from)
    {
        lock (_sync)
        {
            if (_state != State.Ready || _session is null)
            {
                return;
            }

            SeeUser(from);
            var chat = EnsureChat(_users[from.Id]);
            var message = FromWire(wire, _session.Me.Id);
            Update(w =>
            {
                w.WriteString("@type", "updateNewMessage");
                w.WritePropertyName("message");
                TdObjects.Message(w, message);
            });
            chat.UnreadCount++;
            SetLastMessage(chat, message);
            Update(w =>
            {
                w.WriteString("@type", "updateChatReadInbox");
                w.WriteNumber("chat_id", chat.Id);
                w.WriteNumber("last_read_inbox_message_id", chat.LastReadInbox);
                w.WriteNumber("unread_count", chat.UnreadCount);
            });
        }
    }

    // ---------------------------------------------------------------- sending

    private void SendMessage(JsonElement request, string? extra)
    {
        var chatId = request.GetProperty("chat_id").GetInt64();
        if (!request.TryGetProperty("input_message_content", out var content) || content.ValueKind != JsonValueKind.Object)
        {
            Fail(extra, 400, "Can't send message without content");
            return;
        }

        if (content.GetProperty("@type").GetString() != "inputMessageText")
        {
            Fail(extra, 400, "Unsupported by the Telegram simulator: " + content.GetProperty("@type").GetString());
            return;
        }

        var formatted = content.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
        var text = formatted.ValueKind == JsonValueKind.Object && formatted.TryGetProperty("text", out var tt) ? tt.GetString() ?? string.Empty : string.Empty;
        var entities = formatted.ValueKind == JsonValueKind.Object && formatted.TryGetProperty("entities", out var en) && en.ValueKind == JsonValueKind.Array
            ? en.GetRawText()
            : "[]";
        if (text.Trim().Length == 0)
        {
            Fail(extra, 400, "Message must be non-empty");
            return;
        }

        if (text.Length > 4096)
        {
            Fail(extra, 400, "MESSAGE_TOO_LONG");
            return;
        }

        KnownChat chat;
        KnownMessage pending;
        lock (_sync)
        {
            if (!_chats.TryGetValue(chatId, out chat!))
            {
                Fail(extra, 400, "Chat not found");
                return;
            }

            pending = new KnownMessage(NextLocalId(chat), chatId, _session!.Me.Id, true, text, entities, Now) { SendingState = (0, string.Empty, 0) };
            Update(w =>
            {
                w.WriteString("@type", "updateNewMessage");
                w.WritePropertyName("message");
                TdObjects.Message(w, pending);
            });
            SetLastMessage(chat, pending);
            Respond(extra, w => TdObjects.MessageFields(w, pending));
        }

        _ = CompleteSendAsync(chat, pending, RandomNumberGenerator.GetInt32(1, int.MaxValue) * 4_294_967_296L + RandomNumberGenerator.GetInt32(int.MaxValue));
    }

    private long NextLocalId(KnownChat chat)
    {
        var lastServerId = (chat.LastMessage?.Id ?? 0) >> MessageIdShift;
        return ((lastServerId + 1) << MessageIdShift) + (Interlocked.Increment(ref _localMessageCounter) % 1_000_000) + 1;
    }

    /// <summary>
    /// Sends to the cloud; waits out FLOOD_WAITs up to 60 s as TDLib does (longer ones fail with
    /// 429 "Too Many Requests: retry after N"), then reports updateMessageSendSucceeded or Failed.
    /// </summary>
    private async Task CompleteSendAsync(KnownChat chat, KnownMessage pending, long randomId)
    {
        CloudAnswer answer;
        double retryAfter = 0;
        while (true)
        {
            DateTimeOffset floodUntil;
            lock (_sync)
            {
                floodUntil = _floodUntil;
            }

            var wait = floodUntil - _backend.Time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _backend.Time);
            }

            answer = await SessionCallAsync("send", w =>
            {
                w.WriteNumber("peer", chat.Id);
                w.WriteString("text", pending.Text);
                w.WritePropertyName("entities");
                w.WriteRawValue(pending.EntitiesJson, skipInputValidation: true);
                w.WriteNumber("randomId", randomId);
            });
            if (answer.IsError && TryFloodWait(answer.Message, out var seconds))
            {
                if (seconds <= 60)
                {
                    lock (_sync)
                    {
                        var until = _backend.Time.GetUtcNow().AddSeconds(seconds);
                        if (until > _floodUntil)
                        {
                            _floodUntil = until;
                        }
                    }

                    continue;
                }

                retryAfter = seconds;
                answer = new CloudAnswer(null, 429, "Too Many Requests: retry after " + seconds.ToString(CultureInfo.InvariantCulture));
            }

            break;
        }

        lock (_sync)
        {
            if (_state is State.Closing or State.Closed)
            {
                answer.Document?.Dispose();
                return;
            }

            if (answer.IsError)
            {
                var failed = pending with { Id = NextLocalId(chat), SendingState = (answer.Code, answer.Message, retryAfter) };
                Update(w =>
                {
                    w.WriteString("@type", "updateMessageSendFailed");
                    w.WritePropertyName("message");
                    TdObjects.Message(w, failed);
                    w.WriteNumber("old_message_id", pending.Id);
                    w.WritePropertyName("error");
                    TdObjects.Error(w, answer.Code, answer.Message);
                });
                if (chat.LastMessage?.Id == pending.Id)
                {
                    SetLastMessage(chat, failed);
                }
            }
            else
            {
                Succeeded(chat, pending, answer);
            }
        }

        LogOutIfTheServerSaidSo();
    }

    private void Succeeded(KnownChat chat, KnownMessage pending, CloudAnswer answer)
    {
        using (answer.Document)
        {
            var sent = FromWire(answer.Ok.GetProperty("message"), _session!.Me.Id);
            Update(w =>
            {
                w.WriteString("@type", "updateMessageSendSucceeded");
                w.WritePropertyName("message");
                TdObjects.Message(w, sent);
                w.WriteNumber("old_message_id", pending.Id);
            });
            if (chat.LastMessage is null || chat.LastMessage.Id == pending.Id || chat.LastMessage.Id < sent.Id)
            {
                SetLastMessage(chat, sent);
            }
        }
    }

    // ---------------------------------------------------------------- reading

    private async Task GetChatHistoryAsync(JsonElement request, string? extra)
    {
        var chatId = request.GetProperty("chat_id").GetInt64();
        var from = request.TryGetProperty("from_message_id", out var f) ? f.GetInt64() : 0;
        var limit = request.TryGetProperty("limit", out var l) ? l.GetInt32() : 0;
        if (limit <= 0)
        {
            Fail(extra, 400, "Parameter limit must be positive");
            return;
        }

        lock (_sync)
        {
            if (!_chats.ContainsKey(chatId))
            {
                Fail(extra, 400, "Chat not found");
                return;
            }
        }

        var answer = await SessionCallAsync("history", w =>
        {
            w.WriteNumber("peer", chatId);
            w.WriteNumber("from", from >> MessageIdShift);
            w.WriteNumber("limit", Math.Min(limit, 100));
        });
        if (answer.IsError)
        {
            Fail(extra, answer.Code, answer.Message);
            return;
        }

        using (answer.Document)
        {
            var selfId = _session!.Me.Id;
            var messages = answer.Ok.GetProperty("messages").EnumerateArray().Select(m => FromWire(m, selfId)).ToList();
            Respond(extra, w =>
            {
                w.WriteString("@type", "messages");
                w.WriteNumber("total_count", messages.Count);
                w.WriteStartArray("messages");
                foreach (var message in messages)
                {
                    TdObjects.Message(w, message);
                }

                w.WriteEndArray();
            });
        }
    }

    private void ViewMessages(JsonElement request, string? extra)
    {
        var chatId = request.GetProperty("chat_id").GetInt64();
        lock (_sync)
        {
            if (!_chats.TryGetValue(chatId, out var chat))
            {
                Fail(extra, 400, "Chat not found");
                return;
            }

            var max = request.GetProperty("message_ids").EnumerateArray().Select(m => m.GetInt64()).DefaultIfEmpty(0).Max();
            Ok(extra);
            if (max > chat.LastReadInbox && chat.LastMessage is { IsOutgoing: false } last && max >= last.Id)
            {
                chat.LastReadInbox = max;
                chat.UnreadCount = 0;
                Update(w =>
                {
                    w.WriteString("@type", "updateChatReadInbox");
                    w.WriteNumber("chat_id", chat.Id);
                    w.WriteNumber("last_read_inbox_message_id", chat.LastReadInbox);
                    w.WriteNumber("unread_count", 0);
                });
            }
        }
    }

    private async Task<bool> LoadChatsAsync(string? extra, bool respond)
    {
        lock (_sync)
        {
            if (_chatsLoaded)
            {
                if (respond)
                {
                    Fail(extra, 404, "Not Found");
                }

                return true;
            }
        }

        var answer = await SessionCallAsync("dialogs", null);
        if (answer.IsError)
        {
            if (respond)
            {
                Fail(extra, answer.Code, answer.Message);
            }

            return false;
        }

        using (answer.Document)
        {
            lock (_sync)
            {
                var count = 0;
                foreach (var dialog in answer.Ok.GetProperty("dialogs").EnumerateArray())
                {
                    var user = SeeUser(ReadUser(dialog.GetProperty("user")));
                    var chat = EnsureChat(user);
                    var message = FromWire(dialog.GetProperty("message"), _session!.Me.Id);
                    if (chat.LastMessage is null || chat.LastMessage.Id < message.Id)
                    {
                        SetLastMessage(chat, message);
                    }

                    count++;
                }

                var first = !_chatsLoaded;
                _chatsLoaded = true;
                if (respond)
                {
                    if (count > 0 && first)
                    {
                        Ok(extra);
                    }
                    else
                    {
                        Fail(extra, 404, "Not Found");
                    }
                }
            }
        }

        return true;
    }

    private async Task GetChatsAsync(JsonElement request, string? extra)
    {
        var limit = request.TryGetProperty("limit", out var l) ? l.GetInt32() : 0;
        if (!await LoadChatsAsync(extra, respond: false))
        {
            Fail(extra, 400, "Chat list is unavailable");
            return;
        }

        lock (_sync)
        {
            var ids = _chats.Values.Where(c => c.LastMessage is not null).OrderByDescending(c => c.Order).Select(c => c.Id).ToList();
            Respond(extra, w =>
            {
                w.WriteString("@type", "chats");
                w.WriteNumber("total_count", ids.Count);
                w.WriteStartArray("chat_ids");
                foreach (var id in ids.Take(Math.Max(limit, 0)))
                {
                    w.WriteNumberValue(id);
                }

                w.WriteEndArray();
            });
        }
    }

    // ---------------------------------------------------------------- finding people

    private async Task SearchPublicChatAsync(JsonElement request, string? extra)
    {
        var username = (request.GetProperty("username").GetString() ?? string.Empty).TrimStart('@');
        if (username.Length == 0)
        {
            Fail(extra, 400, "Username is invalid");
            return;
        }

        lock (_sync)
        {
            // TDLib answers from its cache for usernames it resolved before.
            var cached = _users.Values.FirstOrDefault(u => string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase));
            if (cached is not null)
            {
                var chat = EnsureChat(cached);
                Respond(extra, w => TdObjects.ChatFields(w, chat, cached, withLastMessage: true));
                return;
            }
        }

        var answer = await SessionCallAsync("resolveUsername", w => w.WriteString("username", username));
        if (answer.IsError)
        {
            Fail(extra, answer.Code, answer.Message);
            return;
        }

        using (answer.Document)
        {
            lock (_sync)
            {
                var user = SeeUser(ReadUser(answer.Ok.GetProperty("user")));
                var chat = EnsureChat(user);
                Respond(extra, w => TdObjects.ChatFields(w, chat, user, withLastMessage: true));
            }
        }
    }

    private async Task SearchUserByPhoneAsync(JsonElement request, string? extra)
    {
        var phone = request.GetProperty("phone_number").GetString() ?? string.Empty;
        var answer = await SessionCallAsync("resolvePhone", w => w.WriteString("phone", phone));
        if (answer.IsError)
        {
            Fail(extra, answer.Code, answer.Message);
            return;
        }

        using (answer.Document)
        {
            lock (_sync)
            {
                var user = SeeUser(ReadUser(answer.Ok.GetProperty("user")));
                Respond(extra, w => TdObjects.UserFields(w, user));
            }
        }
    }

    private async Task ImportContactsAsync(JsonElement request, string? extra)
    {
        var phones = request.GetProperty("contacts").EnumerateArray().Select(c => c.GetProperty("phone_number").GetString() ?? string.Empty).ToList();
        var answer = await SessionCallAsync("importContacts", w =>
        {
            w.WriteStartArray("phones");
            phones.ForEach(w.WriteStringValue);
            w.WriteEndArray();
        });
        if (answer.IsError)
        {
            Fail(extra, answer.Code, answer.Message);
            return;
        }

        using (answer.Document)
        {
            lock (_sync)
            {
                var ids = new List<long>();
                foreach (var user in answer.Ok.GetProperty("users").EnumerateArray())
                {
                    ids.Add(user.ValueKind == JsonValueKind.Null ? 0 : SeeUser(ReadUser(user)).Id);
                }

                Respond(extra, w =>
                {
                    w.WriteString("@type", "importedContacts");
                    w.WriteStartArray("user_ids");
                    ids.ForEach(w.WriteNumberValue);
                    w.WriteEndArray();
                    w.WriteStartArray("importer_count");
                    ids.ForEach(_ => w.WriteNumberValue(0));
                    w.WriteEndArray();
                });
            }
        }
    }

    private async Task ContactsAsync(string query, int limit, string? extra)
    {
        var answer = await SessionCallAsync("contacts", null);
        if (answer.IsError)
        {
            Fail(extra, answer.Code, answer.Message);
            return;
        }

        using (answer.Document)
        {
            lock (_sync)
            {
                var users = answer.Ok.GetProperty("users").EnumerateArray().Select(u => SeeUser(ReadUser(u))).ToList();
                var matching = users.Where(u => query.Length == 0 ||
                    (u.FirstName + " " + u.LastName + " " + u.Username).Contains(query, StringComparison.OrdinalIgnoreCase)).ToList();
                Respond(extra, w =>
                {
                    w.WriteString("@type", "users");
                    w.WriteNumber("total_count", matching.Count);
                    w.WriteStartArray("user_ids");
                    foreach (var user in matching.Take(Math.Max(limit, 0)))
                    {
                        w.WriteNumberValue(user.Id);
                    }

                    w.WriteEndArray();
                });
            }
        }
    }
}
