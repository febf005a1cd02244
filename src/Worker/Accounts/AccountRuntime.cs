using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using TgFleet.Contracts.Accounts;
using TgFleet.Tdlib;
using TgFleet.Tdlib.Api;
using TgFleet.Worker.Messaging;
using TgFleet.Worker.Proxies;
using TgFleet.Worker.Sessions;
using AuthState = TgFleet.Contracts.Accounts.AuthenticationState;

namespace TgFleet.Worker.Accounts;

/// <summary>What an <see cref="AccountRuntime"/> needs from the worker: shared by every runtime.</summary>
/// <param name="Manager">The process's TDLib client manager.</param>
/// <param name="Cipher">Session encryption.</param>
/// <param name="Sessions">The sessions table (epoch-fenced).</param>
/// <param name="Accounts">The accounts table.</param>
/// <param name="Events">Where the account's events go.</param>
/// <param name="Options">Telegram settings.</param>
/// <param name="Sending">Sending settings.</param>
/// <param name="Proxies">Account proxies and the pool.</param>
/// <param name="OptOuts">The fleet's opt-out list.</param>
/// <param name="Metrics">The worker's instruments.</param>
/// <param name="Time">The clock.</param>
/// <param name="Loggers">Loggers.</param>
/// <param name="Lookups">The recipient look-ups' resilience pipeline (<see cref="RecipientLookups"/>).</param>
public sealed record AccountRuntimeServices(
    TdClientManager Manager,
    SessionCipher Cipher,
    SessionStore Sessions,
    AccountStore Accounts,
    IAccountEvents Events,
    TelegramOptions Options,
    SendingOptions Sending,
    AccountProxies Proxies,
    OptOutStore OptOuts,
    WorkerMetrics Metrics,
    TimeProvider Time,
    ILoggerFactory Loggers,
    Polly.ResiliencePipeline Lookups)
{
    /// <summary>How the client's connections leave the worker (through the egress gate by default; docs/fencing.md).</summary>
    public Fencing.EgressRoute Egress { get; init; } = Fencing.EgressRoute.Direct;
}

/// <summary>
/// One account's TDLib client on this worker: restores its stored session, drives its login,
/// reports every login state to <see cref="IAccountEvents"/>, and checkpoints the
/// session (encrypted, epoch-fenced) when it becomes ready and when it stops gracefully.
/// Never logs codes, passwords, keys or session bytes; phones only masked.
/// </summary>
public sealed partial class AccountRuntime : IAsyncDisposable
{
    private readonly AccountRuntimeServices _services;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TdClient? _client;
    private Task _updates = Task.CompletedTask;
    private AuthorizationState? _tdState;
    private string _databaseKeyId = string.Empty;
    private string? _phoneMasked;
    private Guid _commandId;
    private volatile bool _stopping;
    private volatile bool _restoring;
    private readonly CancellationTokenSource _lifetime = new();
    private Task _connectingChecks = Task.CompletedTask;
    private bool _loggedOutReported;
    private int _stopped;

    internal AccountRuntime(string accountId, int shard, AccountRuntimeServices services)
    {
        AccountId = accountId;
        Shard = shard;
        _services = services;
        _logger = services.Loggers.CreateLogger<AccountRuntime>();
        Directory = Path.Combine(services.Options.DataDirectory, DirectoryName(accountId));
    }

    /// <summary>The upstream-chosen account key.</summary>
    public string AccountId { get; }

    /// <summary>The account's shard.</summary>
    public int Shard { get; }

    /// <summary>The lease epoch this runtime writes under.</summary>
    public long Epoch { get; private set; }

    /// <summary>The account's TDLib database directory on this worker.</summary>
    public string Directory { get; }

    /// <summary>The last state reported (null before the first).</summary>
    public AuthState? State { get; private set; }

    /// <summary>
    /// Starts the client: unpacks <paramref name="restore"/> (if any) into <see cref="Directory"/>,
    /// gives TDLib its parameters and follows its updates. With a valid session the account goes
    /// straight to <see cref="AuthState.Ready"/>; without one it waits for <see cref="SetPhoneAsync"/>.
    /// </summary>
    public async Task StartAsync(StoredSession? restore, long epoch, CancellationToken cancellationToken, ProxySettings? proxy = null, string? proxyReason = null)
    {
        if (_client is not null)
        {
            throw new InvalidOperationException("The account's client is already started.");
        }

        Epoch = epoch;
        await RestoreLimitsAsync(cancellationToken);
        ResetDirectory();
        if (restore is not null)
        {
            _restoring = true;
            var archive = _services.Cipher.Decrypt(AccountId, restore.KeyId, restore.Blob);
            await SessionArchive.UnpackAsync(archive, Directory, cancellationToken);
            _databaseKeyId = restore.KeyId;
        }
        else
        {
            _databaseKeyId = _services.Cipher.ActiveKeyId;
        }

        var client = _services.Manager.CreateClient();
        _client = client;
        _updates = Task.Run(() => FollowUpdatesAsync(client), CancellationToken.None);
        // Sent before the parameters (TDLib queues it and applies it first): the client's very
        // first connection already goes the way EgressRoute says, through the gate.
        var route = await _services.Egress.ProxyForAsync(AccountId, proxy, cancellationToken) is { } first
            ? client.SendAsync(new AddProxy { Proxy = first, Enable = true, Comment = "tgfleet" }, _services.Options.LoginStepTimeout, cancellationToken)
            : null;
        await client.SendAsync(Parameters(), _services.Options.LoginStepTimeout, cancellationToken);
        if (route is not null)
        {
            // What a restored session's TDLib database kept (an earlier worker's gate) goes.
            await RouteAsync(client, proxy, (await route).Id, cancellationToken);
        }

        if (proxy is not null)
        {
            await UseProxyAsync(proxy, proxyReason ?? "SET", cancellationToken: cancellationToken);
        }
    }

    /// <summary>Starts a login with <paramref name="phone"/>; the code request's outcome is reported to the observer.</summary>
    public async Task SetPhoneAsync(Guid commandId, string phone, CancellationToken cancellationToken)
    {
        _phoneMasked = PhoneNumber.Mask(phone);
        if (State == AuthState.Ready)
        {
            // Already logged in (restored): say so again rather than start a second login.
            await ReportAsync(new AuthenticationStateChanged(commandId, AccountId, AuthState.Ready, _services.Time.GetUtcNow()), cancellationToken);
            return;
        }

        await _services.Accounts.UpsertAsync(AccountId, Shard, _phoneMasked, "authenticating", cancellationToken);
        await StepAsync(commandId, "setAuthenticationPhoneNumber", new SetAuthenticationPhoneNumber { PhoneNumber = phone }, cancellationToken);
    }

    /// <summary>Submits the login code (never logged).</summary>
    public Task SubmitCodeAsync(Guid commandId, string code, CancellationToken cancellationToken) =>
        StepAsync(commandId, "checkAuthenticationCode", new CheckAuthenticationCode { Code = code }, cancellationToken);

    /// <summary>Submits the two-step verification password (never logged).</summary>
    public Task SubmitPasswordAsync(Guid commandId, string password, CancellationToken cancellationToken) =>
        StepAsync(commandId, "checkAuthenticationPassword", new CheckAuthenticationPassword { Password = password }, cancellationToken);

    /// <summary>Waits until the account has reported <paramref name="state"/>.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>.</exception>
    public async Task WaitForStateAsync(AuthState state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, _services.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (State == state)
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Account did not reach {state} within {timeout} (last state: {State?.ToString() ?? "none"}).");
            }
        }
    }

    /// <summary>
    /// Packs the session directory, encrypts it with the active key and saves it under
    /// <see cref="Epoch"/>. Returns false when nothing was written: not ready, or the epoch is
    /// stale (the lease moved on; logged, never retried).
    /// </summary>
    public async Task<bool> CheckpointAsync(CancellationToken cancellationToken)
    {
        await _checkpointGate.WaitAsync(cancellationToken);
        try
        {
            return await WriteCheckpointAsync(cancellationToken);
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    /// <summary>
    /// Stops the client. Graceful (the shard is handed over or the worker shuts down): sends
    /// <c>close</c>, waits for <c>authorizationStateClosed</c>, then checkpoints. Not graceful (the
    /// shard was lost or fenced, a successor may own it): closes WITHOUT writing anything.
    /// The local directory is deleted either way: the database holds the session.
    /// </summary>
    public async Task StopAsync(bool graceful, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _stopping = true;
        await _lifetime.CancelAsync();
        Task checks;
        lock (_gate)
        {
            checks = _connectingChecks;
        }

        await checks;
        var wasReady = State == AuthState.Ready && _tdState is AuthorizationStateReady;
        if (_client is { } client)
        {
            await client.CloseAsync(cancellationToken);
            AbandonPendingSends();
            await _updates.WaitAsync(cancellationToken);
            if (graceful && wasReady)
            {
                await CheckpointAsync(cancellationToken);
            }

            await client.DisposeAsync();
        }

        ResetDirectory(recreate: false);
    }

    /// <summary>Stops without writing (as a lost shard) if <see cref="StopAsync"/> was not called.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(graceful: false, CancellationToken.None);
        }
        finally
        {
            _checkpointGate.Dispose();
            _statusGate.Dispose();
            _lifetime.Dispose();
        }
    }

    // ------------------------------------------------------------------ login steps

    private async Task StepAsync(Guid commandId, string step, TdFunction<Ok> function, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("The account's client is not started.");
        lock (_gate)
        {
            _commandId = commandId;
        }

        try
        {
            await client.SendAsync(function, _services.Options.LoginStepTimeout, cancellationToken);
        }
        catch (TdException e)
        {
            var reason = Reason(e);
            Log.LoginStepFailed(_logger, AccountId, step, _phoneMasked ?? string.Empty, reason);
            await ChangeAsync(AuthState.Failed, reason: reason, commandId: commandId);
        }
        catch (TimeoutException)
        {
            Log.LoginStepTimedOut(_logger, AccountId, step, _services.Options.LoginStepTimeout);
            await ChangeAsync(AuthState.Failed, reason: "LOGIN_STEP_TIMEOUT", commandId: commandId);
        }
    }

    /// <summary>A machine-readable reason for a TDLib error.</summary>
    internal static string Reason(TdException error)
    {
        if (error.Code == 429)
        {
            var seconds = RetryAfter().Match(error.TdlibMessage);
            return seconds.Success ? "FLOOD_WAIT_" + seconds.Groups[1].Value : "FLOOD_WAIT";
        }

        if (MachineReadable().IsMatch(error.TdlibMessage))
        {
            return error.TdlibMessage;
        }

        return error.TdlibMessage.Contains("unexpected", StringComparison.OrdinalIgnoreCase) ? "LOGIN_STEP_UNEXPECTED" : "TDLIB_ERROR_" + error.Code;
    }

    // ------------------------------------------------------------------ updates

    private async Task FollowUpdatesAsync(TdClient client)
    {
        try
        {
            await foreach (var update in client.Updates.ReadAllAsync(CancellationToken.None))
            {
                switch (update)
                {
                    case UpdateAuthorizationState { AuthorizationState: { } state }:
                        await OnAuthorizationStateAsync(state);
                        break;
                    case UpdateMessageSendSucceeded { Message: { } sent } succeeded:
                        OnSendOutcome(sent.ChatId, succeeded.OldMessageId, succeeded);
                        break;
                    case UpdateMessageSendFailed { Message: { } unsent } failed:
                        OnSendOutcome(unsent.ChatId, failed.OldMessageId, failed);
                        break;
                    case UpdateNewMessage { Message: { IsOutgoing: false } message }:
                        await OnIncomingAsync(message);
                        break;
                    case UpdateConnectionState { State: { } connection }:
                        await OnConnectionStateAsync(connection);
                        break;
                    case UpdateServiceNotification notification when notification.Type.StartsWith("AUTH_KEY_DROP_", StringComparison.Ordinal):
                        await ChangeAsync(AuthState.LoggedOut, reason: "AUTH_KEY_DUPLICATED");
                        await SetStatusAsync(AccountStatus.LoggedOut, "AUTH_KEY_DUPLICATED");
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.UpdateLoopFailed(_logger, AccountId, e);
        }
    }

    private async Task OnAuthorizationStateAsync(AuthorizationState state)
    {
        lock (_gate)
        {
            _tdState = state;
        }

        switch (state)
        {
            case AuthorizationStateWaitPhoneNumber:
                // A restored session TDLib did not accept: a send has nothing to wait for.
                _restoring = false;
                break;
            case AuthorizationStateWaitCode wait:
                await ChangeAsync(AuthState.AwaitingCode, codeDelivery: CodeDelivery(wait.CodeInfo?.Type));
                break;
            case AuthorizationStateWaitPassword wait:
                await ChangeAsync(AuthState.AwaitingPassword, hint: wait.PasswordHint);
                break;
            case AuthorizationStateReady:
                await ChangeAsync(AuthState.Ready);
                await OnReadyAsync();
                await ReadyStatusAsync();
                break;
            case AuthorizationStateWaitRegistration:
                await ChangeAsync(AuthState.Failed, reason: "PHONE_NUMBER_UNREGISTERED");
                break;
            case AuthorizationStateWaitEmailAddress or AuthorizationStateWaitEmailCode
                or AuthorizationStateWaitOtherDeviceConfirmation or AuthorizationStateWaitPremiumPurchase:
                await ChangeAsync(AuthState.Failed, reason: "UNSUPPORTED_LOGIN");
                break;
            case AuthorizationStateLoggingOut:
            case AuthorizationStateClosing or AuthorizationStateClosed when !_stopping:
                if (!_loggedOutReported)
                {
                    _loggedOutReported = true;
                    await ChangeAsync(AuthState.LoggedOut, reason: "LOGGED_OUT");
                    if (_status != AccountStatus.Banned)
                    {
                        Guid commandId;
                        lock (_gate)
                        {
                            commandId = _commandId;
                        }

                        await SetStatusAsync(AccountStatus.LoggedOut, "LOGGED_OUT", commandId: commandId);
                    }
                }

                break;
        }
    }

    private async Task OnReadyAsync()
    {
        try
        {
            var me = await _client!.SendAsync(new GetMe(), _services.Options.LoginStepTimeout, CancellationToken.None);
            UserId = me.Id;
        }
        catch (Exception e) when (e is TdException or TimeoutException)
        {
            Log.GetMeFailed(_logger, AccountId, e.Message);
        }

        try
        {
            await _services.Accounts.UpsertAsync(AccountId, Shard, _phoneMasked, "online", CancellationToken.None);
            if (_databaseKeyId != _services.Cipher.ActiveKeyId && !await RekeyAsync())
            {
                return;
            }

            await CheckpointAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.CheckpointFailed(_logger, AccountId, Epoch, e);
        }
    }

    /// <summary>Re-encrypts TDLib's local database under the active key, so the blob and its database key name the same key.</summary>
    private async Task<bool> RekeyAsync()
    {
        try
        {
            var key = _services.Cipher.DatabaseKey(AccountId, _services.Cipher.ActiveKeyId);
            await _client!.SendAsync(new SetDatabaseEncryptionKey { NewEncryptionKey = key }, _services.Options.LoginStepTimeout, CancellationToken.None);
            _databaseKeyId = _services.Cipher.ActiveKeyId;
            return true;
        }
        catch (Exception e) when (e is TdException or TimeoutException)
        {
            // The stored session stays valid under its old key; it is not overwritten.
            Log.RekeyFailed(_logger, AccountId, _databaseKeyId, e.Message);
            return false;
        }
    }

    private async Task<bool> WriteCheckpointAsync(CancellationToken cancellationToken)
    {
        if (_databaseKeyId != _services.Cipher.ActiveKeyId || !System.IO.File.Exists(Path.Combine(Directory, "td.binlog")))
        {
            return false;
        }

        var archive = await SessionArchive.PackAsync(Directory, cancellationToken);
        var (keyId, blob) = _services.Cipher.Encrypt(AccountId, archive);
        if (await _services.Sessions.SaveAsync(new StoredSession(AccountId, Shard, Epoch, keyId, blob), cancellationToken))
        {
            Log.Checkpointed(_logger, AccountId, Shard, Epoch);
            return true;
        }

        Log.CheckpointStale(_logger, AccountId, Shard, Epoch);
        return false;
    }

    private async Task ChangeAsync(AuthState state, string? reason = null, string? hint = null, string? codeDelivery = null, Guid? commandId = null)
    {
        if (commandId is null)
        {
            lock (_gate)
            {
                commandId = _commandId;
            }
        }

        var change = new AuthenticationStateChanged(commandId.Value, AccountId, state, _services.Time.GetUtcNow())
        {
            Reason = reason,
            PasswordHint = hint,
            CodeDelivery = codeDelivery,
        };
        if (state != AuthState.Ready)
        {
            await SafelyAsync(() => _services.Accounts.UpsertAsync(AccountId, Shard, _phoneMasked, LoginStatusName(state), CancellationToken.None));
        }

        await ReportAsync(change, CancellationToken.None);
    }

    private async Task ReportAsync(AuthenticationStateChanged change, CancellationToken cancellationToken)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            State = change.State;
            // Restored (Ready) or not coming back (logged out, revoked): nothing to wait for either way.
            _restoring = false;

            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        Log.AuthenticationChanged(_logger, AccountId, change.State, change.Reason ?? string.Empty);
        changed.TrySetResult();
        await SafelyAsync(() => _services.Events.PublishAsync(change, cancellationToken));
    }

    private async Task SafelyAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ObserverFailed(_logger, AccountId, e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private SetTdlibParameters Parameters() => new()
    {
        UseTestDc = false,
        DatabaseDirectory = Directory,
        FilesDirectory = Directory,
        DatabaseEncryptionKey = _services.Cipher.DatabaseKey(AccountId, _databaseKeyId),
        UseFileDatabase = false,
        UseChatInfoDatabase = false,
        UseMessageDatabase = false,
        UseSecretChats = false,
        ApiId = _services.Options.ApiId,
        ApiHash = _services.Options.ApiHash,
        SystemLanguageCode = "en",
        DeviceModel = _services.Options.DeviceModel,
        SystemVersion = Environment.OSVersion.VersionString,
        ApplicationVersion = typeof(AccountRuntime).Assembly.GetName().Version?.ToString() ?? "1.0",
    };

    private void ResetDirectory(bool recreate = true)
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        if (recreate)
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
    }

    /// <summary>A file-system-safe, fixed-length name for the account's directory.</summary>
    private static string DirectoryName(string accountId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(accountId)))[..32];

    private static string? CodeDelivery(AuthenticationCodeType? type) => type switch
    {
        null => null,
        AuthenticationCodeTypeTelegramMessage => "telegram_message",
        AuthenticationCodeTypeSms => "sms",
        AuthenticationCodeTypeSmsWord => "sms_word",
        AuthenticationCodeTypeSmsPhrase => "sms_phrase",
        AuthenticationCodeTypeCall => "call",
        AuthenticationCodeTypeFlashCall => "flash_call",
        AuthenticationCodeTypeMissedCall => "missed_call",
        AuthenticationCodeTypeFragment => "fragment",
        AuthenticationCodeTypeFirebaseAndroid or AuthenticationCodeTypeFirebaseIos => "firebase",
        _ => "other",
    };

    private static string LoginStatusName(AuthState state) => state switch
    {
        AuthState.AwaitingCode => "awaiting_code",
        AuthState.AwaitingPassword => "awaiting_password",
        AuthState.Ready => "online",
        AuthState.Failed => "failed",
        AuthState.LoggedOut => "logged_out",
        _ => "unknown",
    };

    [GeneratedRegex(@"retry after (\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex RetryAfter();

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MachineReadable();

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AuthenticationChanged, Level = LogLevel.Information, Message = "Account {AccountId} login is {State} {Reason}")]
        internal static partial void AuthenticationChanged(ILogger logger, string accountId, AuthState state, string reason);

        [LoggerMessage(EventId = EventIds.LoginStepFailed, Level = LogLevel.Warning, Message = "Account {AccountId} login step {Step} for {Phone} failed: {Reason}")]
        internal static partial void LoginStepFailed(ILogger logger, string accountId, string step, string phone, string reason);

        [LoggerMessage(EventId = EventIds.LoginStepTimedOut, Level = LogLevel.Warning, Message = "Account {AccountId} login step {Step} got no answer within {Timeout}")]
        internal static partial void LoginStepTimedOut(ILogger logger, string accountId, string step, TimeSpan timeout);

        [LoggerMessage(EventId = EventIds.Checkpointed, Level = LogLevel.Information, Message = "Checkpointed account {AccountId} (shard {Shard}, epoch {Epoch})")]
        internal static partial void Checkpointed(ILogger logger, string accountId, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.CheckpointStale, Level = LogLevel.Warning, Message = "Checkpoint of account {AccountId} refused: epoch {Epoch} is no longer shard {Shard}'s lease; not retried")]
        internal static partial void CheckpointStale(ILogger logger, string accountId, int shard, long epoch);

        [LoggerMessage(EventId = EventIds.CheckpointFailed, Level = LogLevel.Error, Message = "Checkpoint of account {AccountId} (epoch {Epoch}) failed")]
        internal static partial void CheckpointFailed(ILogger logger, string accountId, long epoch, Exception error);

        [LoggerMessage(EventId = EventIds.RekeyFailed, Level = LogLevel.Warning, Message = "Account {AccountId} could not move its local database off key {KeyId} ({Error}); its stored session is kept as is")]
        internal static partial void RekeyFailed(ILogger logger, string accountId, string keyId, string error);

        [LoggerMessage(EventId = EventIds.UpdateLoopFailed, Level = LogLevel.Error, Message = "Account {AccountId} stopped following its updates")]
        internal static partial void UpdateLoopFailed(ILogger logger, string accountId, Exception error);

        [LoggerMessage(EventId = EventIds.FloodWait, Level = LogLevel.Warning, Message = "Account {AccountId} is in FLOOD_WAIT until {Until:O}: nothing is sent before then")]
        internal static partial void FloodWait(ILogger logger, string accountId, DateTimeOffset until);

        [LoggerMessage(EventId = EventIds.PeerFlood, Level = LogLevel.Warning, Message = "Account {AccountId} got PEER_FLOOD: it messages only contacts until {Until:O}")]
        internal static partial void PeerFlood(ILogger logger, string accountId, DateTimeOffset until);

        [LoggerMessage(EventId = EventIds.IncomingFailed, Level = LogLevel.Error, Message = "Account {AccountId}: incoming message {MessageId} in chat {ChatId} could not be published")]
        internal static partial void IncomingFailed(ILogger logger, string accountId, long chatId, long messageId, Exception error);

        [LoggerMessage(EventId = EventIds.LogOutFailed, Level = LogLevel.Warning, Message = "Account {AccountId}: logOut failed ({Error}); the client is closed locally")]
        internal static partial void LogOutFailed(ILogger logger, string accountId, string error);

        [LoggerMessage(EventId = EventIds.ProxyChanged, Level = LogLevel.Information, Message = "Account {AccountId} connects through {Proxy} ({Reason})")]
        internal static partial void ProxyChanged(ILogger logger, string accountId, string proxy, string reason);

        [LoggerMessage(EventId = EventIds.GetMeFailed, Level = LogLevel.Warning, Message = "Account {AccountId} is ready but getMe failed: {Error}")]
        internal static partial void GetMeFailed(ILogger logger, string accountId, string error);

        [LoggerMessage(EventId = EventIds.ObserverFailed, Level = LogLevel.Error, Message = "Account {AccountId}: reporting an event failed")]
        internal static partial void ObserverFailed(ILogger logger, string accountId, Exception error);
    }
}
