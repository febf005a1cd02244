using System.Collections.Concurrent;
using System.Globalization;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Tdlib;
using TgFleet.Worker.Messaging;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Accounts;

/// <summary>What a send came to: exactly one of <see cref="Sent"/> and <see cref="Failed"/>.</summary>
/// <param name="Sent">Telegram confirmed it.</param>
/// <param name="Failed">It was not delivered, or its outcome is unknown.</param>
public sealed record SendResult(MessageSent? Sent, MessageFailed? Failed);

/// <summary>
/// How a send went up to the hand-off to TDLib: refused before anything was recorded
/// (<see cref="Refused"/>), or recorded as <c>sending</c> and handed over (<see cref="Outcome"/>,
/// which completes with Telegram's answer, or with null when the client closed first: then this
/// worker cannot know, and the shard's next owner resolves the row).
/// </summary>
/// <param name="Refused">Nothing was recorded or sent.</param>
/// <param name="Outcome">What Telegram made of it.</param>
public sealed record SendAttempt(SendResult? Refused, Task<SendResult?>? Outcome);

/// <summary>Where a send goes, known right before the hand-off: what its <c>sending</c> row records.</summary>
/// <param name="RecipientUserId">The recipient's user id (0 for a group or channel).</param>
/// <param name="ChatId">The chat.</param>
/// <param name="TextHash">SHA-256 of the text as TDLib gets it (after Markdown or HTML is parsed).</param>
public sealed record SendTarget(long RecipientUserId, long ChatId, byte[] TextHash);

/// <summary>
/// Sending: the recipient is resolved (username, phone, user id, chat id), FLOOD_WAIT and PEER_FLOOD
/// are honoured per account, and a send is handed to TDLib and completes later, on
/// <c>updateMessageSendSucceeded</c> / <c>updateMessageSendFailed</c> (or <c>Sending:ConfirmTimeout</c>).
/// Commands of one account run one at a time up to the hand-off (the account's lane), so TDLib gets
/// them in delivery order and the flood state needs no lock of its own.
/// </summary>
public sealed partial class AccountRuntime
{
    private readonly Lock _sendsGate = new();
    private readonly Dictionary<(long Chat, long Message), TaskCompletionSource<Td.TdObject>> _pendingSends = [];
    private readonly Dictionary<(long Chat, long Message), (Td.TdObject Update, long At)> _earlyOutcomes = [];
    private readonly ConcurrentDictionary<string, Target> _targets = new(StringComparer.Ordinal);
    // Written by the account's commands and its update loop, read by status and queries on other
    // threads: kept as UTC ticks so that every read sees a whole value.
    private long _floodEndTicks;
    private long _limitEndTicks;

    /// <summary>The end of the account's current FLOOD_WAIT (in the past when none).</summary>
    public DateTimeOffset FloodWaitEnd => FloodEnd;

    private DateTimeOffset FloodEnd
    {
        get => new(Volatile.Read(ref _floodEndTicks), TimeSpan.Zero);
        set => Volatile.Write(ref _floodEndTicks, value.UtcTicks);
    }

    private DateTimeOffset LimitEnd
    {
        get => new(Volatile.Read(ref _limitEndTicks), TimeSpan.Zero);
        set => Volatile.Write(ref _limitEndTicks, value.UtcTicks);
    }

    /// <summary>
    /// Hands <paramref name="command"/> to TDLib. <paramref name="beforeSend"/> runs right before
    /// <c>sendMessage</c> and must durably record that the message is being handed over (and check
    /// the opt-out list); it returns false to send nothing, and then this returns null. Returns once
    /// TDLib has the message (<see cref="SendAttempt.Outcome"/> then follows Telegram's answer), or
    /// with <see cref="SendAttempt.Refused"/>. Never throws for Telegram's answers.
    /// </summary>
    public async Task<SendAttempt?> SendAsync(SendMessage command, Func<SendTarget, Task<bool>> beforeSend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(beforeSend);
        if (_restoring && State != Contracts.Accounts.AuthenticationState.Ready)
        {
            // Its shard has just come to this worker and the stored session is being restored: the
            // send waits for it (Sending:RestoreWait) rather than fail.
            try
            {
                await WaitForStateAsync(Contracts.Accounts.AuthenticationState.Ready, _services.Sending.RestoreWait, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Reported below as not ready.
            }
        }

        var client = _client;
        if (client is null || State != Contracts.Accounts.AuthenticationState.Ready || _status is AccountStatus.LoggedOut or AccountStatus.Banned)
        {
            return Refuse(command, "ACCOUNT_NOT_READY", permanent: false, detail: $"The account is not logged in (login {State?.ToString() ?? "not started"}, status {_status?.ToString() ?? "none"}).");
        }

        var now = _services.Time.GetUtcNow();
        if (FloodEnd > now)
        {
            var left = FloodEnd - now;
            if (left > _services.Sending.MaxFloodWaitHold)
            {
                return Refuse(command, "FLOOD_WAIT", permanent: false, retryAfter: FloodEnd,
                    detail: $"Telegram asked this account to wait until {FloodEnd:O}; nothing is sent before then.");
            }

            await Task.Delay(left, _services.Time, cancellationToken);
        }

        if (_status is AccountStatus.FloodWait or AccountStatus.Limited)
        {
            // A limit that has ended: back to Online (or to the limit still running).
            await ReadyStatusAsync();
        }

        Target target;
        Td.FormattedText text;
        try
        {
            target = await ResolveAsync(client, command.To, cancellationToken);
            if (LimitEnd > _services.Time.GetUtcNow() && target.UserId != 0
                && !(await LookupAsync(ct => client.SendAsync(new Td.GetUser { UserId = target.UserId }, _services.Options.LoginStepTimeout, ct), cancellationToken)).IsContact)
            {
                return Refuse(command, "PEER_FLOOD", permanent: false, retryAfter: LimitEnd,
                    detail: "Telegram limited this account (PEER_FLOOD): it messages only its contacts until the limit ends.");
            }

            text = MessageText.Format(command);
        }
        catch (RecipientException e)
        {
            return Refuse(command, e.Reason, permanent: true, detail: e.Message);
        }
        catch (MessageTextException e)
        {
            return Refuse(command, "TEXT_INVALID", permanent: true, detail: e.Message);
        }
        catch (TdException e)
        {
            return Refuse(await FailFromTelegramAsync(command, e.Code, e.TdlibMessage, retryAfterSeconds: 0));
        }
        catch (TimeoutException)
        {
            return Refuse(command, "TELEGRAM_TIMEOUT", permanent: false, detail: "Telegram did not answer the recipient look-up in time; nothing was sent.");
        }

        if (!await beforeSend(new SendTarget(target.UserId, target.ChatId, TextHash(text.Text))))
        {
            return null;
        }

        // Recorded as sending: from here on the outcome is Telegram's, whatever the delivery's token says.
        Td.Message pending;
        try
        {
            pending = await client.SendAsync(new Td.SendMessage
            {
                ChatId = target.ChatId,
                Options = new Td.MessageSendOptions { DisableNotification = command.Silent },
                InputMessageContent = new Td.InputMessageText { Text = text },
            }, _services.Options.LoginStepTimeout, CancellationToken.None);
        }
        catch (TdException e)
        {
            // Refused before it was queued: nothing went out.
            return HandedOver(await FailFromTelegramAsync(command, e.Code, e.TdlibMessage, retryAfterSeconds: 0));
        }
        catch (TimeoutException)
        {
            return HandedOver(Unknown(command, "TDLib did not answer sendMessage in time; the message may or may not have been sent."));
        }

        return new SendAttempt(null, ConfirmAsync(command, pending));
    }

    /// <summary>Telegram's answer to a message TDLib has: null when the client closed before it came.</summary>
    private async Task<SendResult?> ConfirmAsync(SendMessage command, Td.Message pending)
    {
        var outcome = await OutcomeAsync(pending);
        switch (outcome)
        {
            case Td.UpdateMessageSendSucceeded { Message: { } sent }:
                return new SendResult(new MessageSent(command.CommandId, AccountId, sent.ChatId, sent.Id, DateTimeOffset.FromUnixTimeSeconds(sent.Date)), null);
            case Td.UpdateMessageSendFailed { Message: { } unsent } failed:
                var retryAfter = unsent.SendingState is Td.MessageSendingStateFailed state ? state.RetryAfter : 0;
                return await FailFromTelegramAsync(command, failed.Error?.Code ?? 0, failed.Error?.Message ?? string.Empty, retryAfter);
            case Td.Ok:
                return null;
            default:
                return Unknown(command, $"Telegram did not confirm the message within {_services.Sending.ConfirmTimeout}; it may or may not have been delivered.");
        }
    }

    /// <summary>
    /// The outgoing message of this account in <paramref name="chatId"/> whose text hashes to
    /// <paramref name="textHash"/>, sent since <paramref name="since"/> and not one of
    /// <paramref name="known"/> (messages other sends already account for); null when the chat
    /// shows none. How the shard's next owner tells a send its predecessor left open as sent.
    /// </summary>
    internal async Task<Td.Message?> FindSentAsync(long chatId, byte[] textHash, DateTimeOffset since, IReadOnlySet<long> known, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("The account's client is not started.");
        var from = 0L;
        // TDLib may answer a history request with fewer messages than asked (the first often with
        // one): page on from the oldest seen until the messages are older than the send.
        for (var page = 0; page < 20; page++)
        {
            var history = await client.SendAsync(new Td.GetChatHistory { ChatId = chatId, FromMessageId = from, Offset = 0, Limit = 50, OnlyLocal = false },
                _services.Options.LoginStepTimeout, cancellationToken);
            var messages = history.MessagesValue?.OfType<Td.Message>().ToList() ?? [];
            if (messages.Count == 0)
            {
                return null;
            }

            foreach (var message in messages)
            {
                if (DateTimeOffset.FromUnixTimeSeconds(message.Date) < since)
                {
                    return null;
                }

                if (message is { IsOutgoing: true, SendingState: null, Content: Td.MessageText { Text: { } text } } && !known.Contains(message.Id)
                    && TextHash(text.Text).AsSpan().SequenceEqual(textHash))
                {
                    return message;
                }
            }

            from = messages[^1].Id;
        }

        return null;
    }

    private static byte[] TextHash(string text) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text));

    private static SendAttempt Refuse(SendResult result) => new(result, null);

    private SendAttempt Refuse(SendMessage command, string reason, bool permanent, DateTimeOffset? retryAfter = null, string? detail = null) =>
        Refuse(Fail(command, reason, permanent, retryAfter, detail));

    private static SendAttempt HandedOver(SendResult result) => new(null, Task.FromResult<SendResult?>(result));

    /// <summary>Called by the update loop for the outcome of a send.</summary>
    private void OnSendOutcome(long chatId, long oldMessageId, Td.TdObject update)
    {
        var key = (chatId, oldMessageId);
        TaskCompletionSource<Td.TdObject>? waiting;
        lock (_sendsGate)
        {
            if (!_pendingSends.Remove(key, out waiting))
            {
                // The update overtook sendMessage's own answer: keep it for the sender to find.
                var now = _services.Time.GetTimestamp();
                _earlyOutcomes[key] = (update, now);
                foreach (var stale in _earlyOutcomes.Where(e => _services.Time.GetElapsedTime(e.Value.At, now) > _services.Sending.ConfirmTimeout * 2).ToList())
                {
                    _earlyOutcomes.Remove(stale.Key);
                }
            }
        }

        waiting?.TrySetResult(update);
    }

    private async Task<Td.TdObject?> OutcomeAsync(Td.Message pending)
    {
        var key = (pending.ChatId, pending.Id);
        var waiting = new TaskCompletionSource<Td.TdObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sendsGate)
        {
            if (_earlyOutcomes.Remove(key, out var early))
            {
                return early.Update;
            }

            _pendingSends[key] = waiting;
        }

        // Once handed to Telegram, a send is waited for whatever the delivery's token says: giving
        // up early would only turn a known outcome into an unknown one.
        try
        {
            return await waiting.Task.WaitAsync(_services.Sending.ConfirmTimeout, _services.Time, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            lock (_sendsGate)
            {
                _pendingSends.Remove(key);
            }

            return null;
        }
    }

    /// <summary>The client is closing: sends still waiting for Telegram's answer will not get one here.</summary>
    private void AbandonPendingSends()
    {
        List<TaskCompletionSource<Td.TdObject>> abandoned;
        lock (_sendsGate)
        {
            abandoned = [.. _pendingSends.Values];
            _pendingSends.Clear();
        }

        foreach (var waiting in abandoned)
        {
            waiting.TrySetResult(new Td.Ok());
        }
    }

    private async Task<SendResult> FailFromTelegramAsync(SendMessage command, int code, string message, double retryAfterSeconds)
    {
        var reason = Reason(new TdException(code, message));
        if (reason.StartsWith("FLOOD_WAIT", StringComparison.Ordinal))
        {
            var seconds = retryAfterSeconds > 0 ? retryAfterSeconds
                : int.TryParse(reason.AsSpan("FLOOD_WAIT_".Length < reason.Length ? "FLOOD_WAIT_".Length : reason.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 1;
            var until = _services.Time.GetUtcNow() + TimeSpan.FromSeconds(Math.Ceiling(seconds));
            if (until > FloodEnd)
            {
                FloodEnd = until;
            }

            _services.Metrics.FloodWait();
            Log.FloodWait(_logger, AccountId, FloodEnd);
            await SetStatusAsync(AccountStatus.FloodWait, "FLOOD_WAIT", FloodEnd, command.CommandId);
            return Fail(command, "FLOOD_WAIT", permanent: false, retryAfter: FloodEnd,
                detail: $"Telegram asked this account to wait {seconds:0} s; nothing is sent before {FloodEnd:O}.");
        }

        switch (reason)
        {
            case "PEER_FLOOD":
                LimitEnd = _services.Time.GetUtcNow() + _services.Sending.PeerFloodPause;
                Log.PeerFlood(_logger, AccountId, LimitEnd);
                await SetStatusAsync(AccountStatus.Limited, "PEER_FLOOD", commandId: command.CommandId);
                return Fail(command, reason, permanent: false, retryAfter: LimitEnd,
                    detail: "Telegram limited this account (PEER_FLOOD): it messages only its contacts for now.");
            case "USER_DEACTIVATED_BAN" or "USER_DEACTIVATED" or "PHONE_NUMBER_BANNED":
                await SetStatusAsync(AccountStatus.Banned, reason, commandId: command.CommandId);
                return Fail(command, reason, permanent: true, detail: "Telegram banned or deactivated this account.");
            case "AUTH_KEY_DUPLICATED" or "AUTH_KEY_UNREGISTERED" or "SESSION_REVOKED" or "Unauthorized":
                return Fail(command, "ACCOUNT_NOT_READY", permanent: false, detail: $"The account's session is no longer valid ({reason}).");
        }

        var permanent = code is >= 400 and < 500 && code != 429;
        return Fail(command, reason, permanent, detail: $"Telegram answered {code} {message}");
    }

    private SendResult Fail(SendMessage command, string reason, bool permanent, DateTimeOffset? retryAfter = null, string? detail = null) =>
        new(null, new MessageFailed(command.CommandId, AccountId, reason, permanent, _services.Time.GetUtcNow()) { RetryAfter = retryAfter, Detail = detail });

    private SendResult Unknown(SendMessage command, string detail) =>
        Fail(command, "OUTCOME_UNKNOWN", permanent: true, detail: detail + " Not retried, so that it is never sent twice.");

    // ------------------------------------------------------------------ recipients

    /// <summary>A chat to send to and, for a private chat, the user in it.</summary>
    private readonly record struct Target(long ChatId, long UserId);

    private async Task<Target> ResolveAsync(TdClient client, Recipient to, CancellationToken cancellationToken)
    {
        var key = to.Kind switch
        {
            RecipientKind.Username => "u:" + to.Value.TrimStart('@').ToLowerInvariant(),
            RecipientKind.Phone => "p:" + (PhoneNumber.TryNormalize(to.Value, out var phone) ? phone : to.Value),
            _ => to.Kind + ":" + to.Value,
        };
        if (_targets.TryGetValue(key, out var known))
        {
            return known;
        }

        var timeout = _services.Options.LoginStepTimeout;
        Td.Chat chat;
        switch (to.Kind)
        {
            case RecipientKind.Username:
                chat = await LookupAsync(ct => client.SendAsync(new Td.SearchPublicChat { Username = to.Value.TrimStart('@') }, timeout, ct), cancellationToken);
                break;
            case RecipientKind.Phone:
                var userId = await UserByPhoneAsync(client, key[2..], cancellationToken);
                chat = await LookupAsync(ct => client.SendAsync(new Td.CreatePrivateChat { UserId = userId, Force = false }, timeout, ct), cancellationToken);
                break;
            case RecipientKind.UserId:
                var user = long.Parse(to.Value, NumberStyles.None, CultureInfo.InvariantCulture);
                chat = await NotFoundAsRecipientAsync(() => LookupAsync(ct => client.SendAsync(new Td.CreatePrivateChat { UserId = user, Force = false }, timeout, ct), cancellationToken),
                    "This account has not seen a user with that id; send by username or phone first.");
                break;
            default:
                var chatId = long.Parse(to.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                chat = await NotFoundAsRecipientAsync(() => LookupAsync(ct => client.SendAsync(new Td.GetChat { ChatId = chatId }, timeout, ct), cancellationToken),
                    "This account has no chat with that id.");
                break;
        }

        var target = new Target(chat.Id, chat.Type is Td.ChatTypePrivate p ? p.UserId : 0);
        _targets[key] = target;
        return target;
    }

    private async Task<long> UserByPhoneAsync(TdClient client, string phone, CancellationToken cancellationToken)
    {
        var timeout = _services.Options.LoginStepTimeout;
        try
        {
            var user = await LookupAsync(ct => client.SendAsync(new Td.SearchUserByPhoneNumber { PhoneNumber = phone, OnlyLocal = false }, timeout, ct), cancellationToken);
            return user.Id;
        }
        catch (TdException e) when (e.Code == 404)
        {
            // Not visible by phone (not a contact, or hidden): importing the contact is how an app finds them.
        }

        var imported = await LookupAsync(ct => client.SendAsync(new Td.ImportContacts
        {
            Contacts = [new Td.ImportedContact { PhoneNumber = phone, FirstName = phone, LastName = string.Empty }],
        }, timeout, ct), cancellationToken);
        var id = imported.UserIds is { Length: > 0 } ids ? ids[0] : 0;
        return id != 0 ? id : throw new RecipientException("RECIPIENT_NOT_FOUND", "No Telegram user has that phone number (or they hide it).");
    }

    private static async Task<Td.Chat> NotFoundAsRecipientAsync(Func<Task<Td.Chat>> lookup, string detail)
    {
        try
        {
            return await lookup();
        }
        catch (TdException e) when (e.Code is 400 or 404 && e.TdlibMessage.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new RecipientException("RECIPIENT_UNKNOWN", detail);
        }
    }

    /// <summary>A look-up, retried on transient errors by the shared pipeline (<see cref="RecipientLookups"/>).</summary>
    private async Task<T> LookupAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await _services.Lookups.ExecuteAsync(async ct => await call(ct), cancellationToken);

    private sealed class RecipientException(string reason, string message) : Exception(message)
    {
        public string Reason { get; } = reason;
    }
}
