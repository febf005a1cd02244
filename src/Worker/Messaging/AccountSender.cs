using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Tdlib;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Messaging;

/// <summary>What a send came to: exactly one of <see cref="Sent"/> and <see cref="Failed"/>.</summary>
/// <param name="Sent">Telegram confirmed it.</param>
/// <param name="Failed">It was not delivered, or its outcome is unknown.</param>
public sealed record SendResult(MessageSent? Sent, MessageFailed? Failed);

/// <summary>
/// How a send went up to the hand-off to TDLib: rejected before it took effect
/// (<see cref="Rejected"/>, answered with <c>CommandRejected</c>), failed before anything was
/// recorded (<see cref="Refused"/>, a <c>MessageFailed</c>: FLOOD_WAIT, an unknown recipient, …), or
/// recorded as <c>sending</c> and handed over (<see cref="Outcome"/>, which completes with
/// Telegram's answer, or with null when the client closed first: then this worker cannot know, and
/// the shard's next owner resolves the row).
/// </summary>
/// <param name="Refused">Nothing was recorded or sent.</param>
/// <param name="Outcome">What Telegram made of it.</param>
public sealed record SendAttempt(SendResult? Refused, Task<SendResult?>? Outcome)
{
    /// <summary>The account cannot send now (<c>ACCOUNT_NOT_READY</c>): nothing was recorded or sent.</summary>
    public CommandValidator.Problem? Rejected { get; init; }
}

/// <summary>Where a send goes, known right before the hand-off: what its <c>sending</c> row records.</summary>
/// <param name="RecipientUserId">The recipient's user id (0 for a group or channel).</param>
/// <param name="ChatId">The chat.</param>
/// <param name="TextHash">SHA-256 of the text as TDLib gets it (after Markdown or HTML is parsed).</param>
public sealed record SendTarget(long RecipientUserId, long ChatId, byte[] TextHash);

/// <summary>
/// One account's sending: the recipient is resolved (username, phone, user id, chat id), FLOOD_WAIT
/// and PEER_FLOOD are honoured, and a send is handed to TDLib and completes later, on
/// <c>updateMessageSendSucceeded</c> / <c>updateMessageSendFailed</c> (or <c>Sending:ConfirmTimeout</c>).
/// Commands of one account run one at a time up to the hand-off (the account's lane), so TDLib gets
/// them in delivery order and the flood state needs no lock of its own.
/// </summary>
public sealed partial class AccountSender
{
    private readonly IAccountClient _account;
    private readonly AccountStatusTracker _status;
    private readonly RecipientResolver _recipients;
    private readonly SendingOptions _options;
    private readonly TimeSpan _timeout;
    private readonly WorkerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _sendsGate = new();
    private readonly Dictionary<(long Chat, long Message), TaskCompletionSource<Td.TdObject>> _pendingSends = [];
    private readonly Dictionary<(long Chat, long Message), (Td.TdObject Update, long At)> _earlyOutcomes = [];

    internal AccountSender(IAccountClient account, AccountStatusTracker status, Polly.ResiliencePipeline lookups, SendingOptions options, TimeSpan timeout,
        WorkerMetrics metrics, TimeProvider time, ILogger logger)
    {
        _account = account;
        _status = status;
        _recipients = new RecipientResolver(lookups, timeout);
        _options = options;
        _timeout = timeout;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    private string AccountId => _account.AccountId;

    private DateTimeOffset FloodEnd
    {
        get => _status.FloodEnd;
        set => _status.FloodEnd = value;
    }

    private DateTimeOffset LimitEnd
    {
        get => _status.LimitEnd;
        set => _status.LimitEnd = value;
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
        // Its shard may have just come to this worker with the stored session still being restored:
        // the send waits for it (Sending:RestoreWait) rather than fail.
        await _account.WaitUntilRestoredAsync(_options.RestoreWait, cancellationToken);

        var client = _account.Client;
        var state = _account.State;
        var status = _status.Current;
        if (client is null || state != AuthenticationState.Ready || status is AccountStatus.LoggedOut or AccountStatus.Banned)
        {
            return new SendAttempt(null, null)
            {
                Rejected = new("AccountId", CommandRejections.AccountNotReady,
                    $"The account is not logged in (login {state?.ToString() ?? "not started"}, status {status?.ToString() ?? "none"})."),
            };
        }

        var now = _time.GetUtcNow();
        if (FloodEnd > now)
        {
            var left = FloodEnd - now;
            if (left > _options.MaxFloodWaitHold)
            {
                return Refuse(command, TelegramReasons.FloodWait, permanent: false, retryAfter: FloodEnd,
                    detail: $"Telegram asked this account to wait until {FloodEnd:O}; nothing is sent before then.");
            }

            await Task.Delay(left, _time, cancellationToken);
        }

        if (_status.Current is AccountStatus.FloodWait or AccountStatus.Limited)
        {
            // A limit that has ended: back to Online (or to the limit still running).
            await _status.ReadyAsync();
        }

        RecipientChat target;
        Td.FormattedText text;
        try
        {
            target = await _recipients.ResolveAsync(client, command.To, cancellationToken);
            if (LimitEnd > _time.GetUtcNow() && target.UserId != 0 && !await _recipients.IsContactAsync(client, target.UserId, cancellationToken))
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
            }, _timeout, CancellationToken.None);
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
                return Unknown(command, $"Telegram did not confirm the message within {_options.ConfirmTimeout}; it may or may not have been delivered.");
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
        var client = _account.Client ?? throw new InvalidOperationException("The account's client is not started.");
        var from = 0L;
        // TDLib may answer a history request with fewer messages than asked (the first often with
        // one): page on from the oldest seen until the messages are older than the send.
        for (var page = 0; page < 20; page++)
        {
            var history = await client.SendAsync(new Td.GetChatHistory { ChatId = chatId, FromMessageId = from, Offset = 0, Limit = 50, OnlyLocal = false },
                _timeout, cancellationToken);
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

    /// <summary>The update loop's outcome of a send (<c>updateMessageSendSucceeded</c> or <c>updateMessageSendFailed</c>).</summary>
    internal void OnSendOutcome(long chatId, long oldMessageId, Td.TdObject update)
    {
        var key = (chatId, oldMessageId);
        TaskCompletionSource<Td.TdObject>? waiting;
        lock (_sendsGate)
        {
            if (!_pendingSends.Remove(key, out waiting))
            {
                // The update overtook sendMessage's own answer: keep it for the sender to find.
                var now = _time.GetTimestamp();
                _earlyOutcomes[key] = (update, now);
                foreach (var stale in _earlyOutcomes.Where(e => _time.GetElapsedTime(e.Value.At, now) > _options.ConfirmTimeout * 2).ToList())
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
            return await waiting.Task.WaitAsync(_options.ConfirmTimeout, _time, CancellationToken.None);
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
    internal void AbandonPendingSends()
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
        var reason = TelegramReasons.Of(new TdException(code, message));
        if (TelegramReasons.IsFloodWait(reason))
        {
            var seconds = retryAfterSeconds > 0 ? retryAfterSeconds : TelegramReasons.FloodWaitSeconds(reason) ?? 1;
            var until = _time.GetUtcNow() + TimeSpan.FromSeconds(Math.Ceiling(seconds));
            if (until > FloodEnd)
            {
                FloodEnd = until;
            }

            _metrics.FloodWait();
            Log.FloodWait(_logger, AccountId, FloodEnd);
            await _status.SetAsync(AccountStatus.FloodWait, TelegramReasons.FloodWait, FloodEnd, command.CommandId);
            return Fail(command, TelegramReasons.FloodWait, permanent: false, retryAfter: FloodEnd,
                detail: $"Telegram asked this account to wait {seconds:0} s; nothing is sent before {FloodEnd:O}.");
        }

        switch (reason)
        {
            case "PEER_FLOOD":
                LimitEnd = _time.GetUtcNow() + _options.PeerFloodPause;
                Log.PeerFlood(_logger, AccountId, LimitEnd);
                await _status.SetAsync(AccountStatus.Limited, "PEER_FLOOD", commandId: command.CommandId);
                return Fail(command, reason, permanent: false, retryAfter: LimitEnd,
                    detail: "Telegram limited this account (PEER_FLOOD): it messages only its contacts for now.");
            case "USER_DEACTIVATED_BAN" or "USER_DEACTIVATED" or "PHONE_NUMBER_BANNED":
                await _status.SetAsync(AccountStatus.Banned, reason, commandId: command.CommandId);
                return Fail(command, reason, permanent: true, detail: "Telegram banned or deactivated this account.");
            case "AUTH_KEY_DUPLICATED" or "AUTH_KEY_UNREGISTERED" or "SESSION_REVOKED" or "Unauthorized":
                // Telegram's answer, so a MessageFailed with Telegram's reason (ACCOUNT_NOT_READY is a rejection's).
                return Fail(command, reason, permanent: false, detail: $"Telegram no longer accepts the account's session ({reason}).");
        }

        var permanent = code is >= 400 and < 500 && code != 429;
        return Fail(command, reason, permanent, detail: $"Telegram answered {code} {message}");
    }

    private SendResult Fail(SendMessage command, string reason, bool permanent, DateTimeOffset? retryAfter = null, string? detail = null) =>
        new(null, new MessageFailed(command.CommandId, AccountId, reason, permanent, _time.GetUtcNow()) { RetryAfter = retryAfter, Detail = detail });

    private SendResult Unknown(SendMessage command, string detail) =>
        Fail(command, "OUTCOME_UNKNOWN", permanent: true, detail: detail + " Not retried, so that it is never sent twice.");

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.FloodWait, Level = LogLevel.Warning, Message = "Account {AccountId} is in FLOOD_WAIT until {Until:O}: nothing is sent before then")]
        internal static partial void FloodWait(ILogger logger, string accountId, DateTimeOffset until);

        [LoggerMessage(EventId = EventIds.PeerFlood, Level = LogLevel.Warning, Message = "Account {AccountId} got PEER_FLOOD: it messages only contacts until {Until:O}")]
        internal static partial void PeerFlood(ILogger logger, string accountId, DateTimeOffset until);
    }
}
