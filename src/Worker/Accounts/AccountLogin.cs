using TgFleet.Contracts.Accounts;
using TgFleet.Storage.Accounts;
using TgFleet.Tdlib;
using TgFleet.Tdlib.Api;
using AuthState = TgFleet.Contracts.Accounts.AuthenticationState;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// One account's login: the phone, code and password steps, log-out, and every login state TDLib
/// reports, recorded in <c>accounts</c> and published as <see cref="AuthenticationStateChanged"/>.
/// Never logs codes or passwords; phones only masked.
/// </summary>
public sealed partial class AccountLogin
{
    private readonly IAccountClient _account;
    private readonly int _shard;
    private readonly AccountStore _accounts;
    private readonly AccountEventReporter _reporter;
    private readonly AccountStatusTracker _status;
    private readonly TimeSpan _stepTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Guid _commandId;
    private volatile bool _restoring;
    // Written under the gate, read by commands on other threads: one int (0: none yet) so that
    // every read sees a whole value.
    private volatile int _state;
    private bool _loggedOutReported;

    internal AccountLogin(IAccountClient account, int shard, AccountStore accounts, AccountEventReporter reporter, AccountStatusTracker status,
        TimeSpan stepTimeout, TimeProvider time, ILogger logger)
    {
        _account = account;
        _shard = shard;
        _accounts = accounts;
        _reporter = reporter;
        _status = status;
        _stepTimeout = stepTimeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>The last state reported (null before the first).</summary>
    public AuthState? State
    {
        get => _state == 0 ? null : (AuthState)_state;
        private set => _state = value is { } state ? (int)state : 0;
    }

    /// <summary>The account's phone, masked (null until a login gave it).</summary>
    internal string? PhoneMasked { get; private set; }

    /// <summary>A stored session is being restored: sends wait for it (<see cref="WaitUntilRestoredAsync"/>).</summary>
    internal void Restoring() => _restoring = true;

    /// <summary>Starts a login with <paramref name="phone"/>; the code request's outcome is reported.</summary>
    public async Task SetPhoneAsync(Guid commandId, string phone, CancellationToken cancellationToken)
    {
        PhoneMasked = PhoneNumber.Mask(phone);
        if (State == AuthState.Ready)
        {
            // Already logged in (restored): say so again rather than start a second login.
            await ReportAsync(new AuthenticationStateChanged(commandId, _account.AccountId, AuthState.Ready, _time.GetUtcNow()), cancellationToken);
            return;
        }

        await _accounts.UpsertAsync(_account.AccountId, _shard, PhoneMasked, AccountRowStatus.Authenticating, cancellationToken);
        await StepAsync(commandId, "setAuthenticationPhoneNumber", new SetAuthenticationPhoneNumber { PhoneNumber = phone }, cancellationToken);
    }

    /// <summary>Submits the login code (never logged).</summary>
    public Task SubmitCodeAsync(Guid commandId, string code, CancellationToken cancellationToken) =>
        StepAsync(commandId, "checkAuthenticationCode", new CheckAuthenticationCode { Code = code }, cancellationToken);

    /// <summary>Submits the two-step verification password (never logged).</summary>
    public Task SubmitPasswordAsync(Guid commandId, string password, CancellationToken cancellationToken) =>
        StepAsync(commandId, "checkAuthenticationPassword", new CheckAuthenticationPassword { Password = password }, cancellationToken);

    /// <summary>
    /// Logs the account out of Telegram (<c>logOut</c>: the session is ended at Telegram and TDLib
    /// deletes its local database) and waits until the client has closed. The update loop reports
    /// <c>LoggedOut</c> for <paramref name="commandId"/>.
    /// </summary>
    public async Task LogOutAsync(Guid commandId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _commandId = commandId;
        }

        if (_account.Client is not { } client || client.Closed.IsCompleted)
        {
            return;
        }

        try
        {
            await client.SendAsync(new TgFleet.Tdlib.Api.LogOut(), _stepTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TdException or TimeoutException)
        {
            // Telegram may not answer (offline) or the client may be closing already: close it locally.
            Log.LogOutFailed(_logger, _account.AccountId, e.Message);
        }

        await client.CloseAsync(cancellationToken);
        if (_status.Current is not AccountStatus.LoggedOut and not AccountStatus.Banned)
        {
            await _status.SetAsync(AccountStatus.LoggedOut, "LOGGED_OUT", commandId: commandId);
        }
    }

    /// <summary>Waits until the account has reported <paramref name="state"/>.</summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>.</exception>
    public async Task WaitForStateAsync(AuthState state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
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

    /// <inheritdoc cref="IAccountClient.WaitUntilRestoredAsync"/>
    internal async Task WaitUntilRestoredAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (!_restoring || State == AuthState.Ready)
        {
            return;
        }

        try
        {
            await WaitForStateAsync(AuthState.Ready, wait, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The caller sees the state it is in.
        }
    }

    /// <summary>
    /// The update loop's <c>updateAuthorizationState</c>. <paramref name="stopping"/>: the worker
    /// is closing the client, so its closing is no log-out.
    /// </summary>
    internal async Task OnAuthorizationStateAsync(AuthorizationState state, bool stopping)
    {
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
                break;
            case AuthorizationStateWaitRegistration:
                await ChangeAsync(AuthState.Failed, reason: "PHONE_NUMBER_UNREGISTERED");
                break;
            case AuthorizationStateWaitEmailAddress or AuthorizationStateWaitEmailCode
                or AuthorizationStateWaitOtherDeviceConfirmation or AuthorizationStateWaitPremiumPurchase:
                await ChangeAsync(AuthState.Failed, reason: "UNSUPPORTED_LOGIN");
                break;
            case AuthorizationStateLoggingOut:
            case AuthorizationStateClosing or AuthorizationStateClosed when !stopping:
                if (!_loggedOutReported)
                {
                    _loggedOutReported = true;
                    await ChangeAsync(AuthState.LoggedOut, reason: "LOGGED_OUT");
                    if (_status.Current != AccountStatus.Banned)
                    {
                        Guid commandId;
                        lock (_gate)
                        {
                            commandId = _commandId;
                        }

                        await _status.SetAsync(AccountStatus.LoggedOut, "LOGGED_OUT", commandId: commandId);
                    }
                }

                break;
        }
    }

    /// <summary>Telegram dropped the account's key (it was used in two places at once).</summary>
    internal async Task OnAuthKeyDroppedAsync()
    {
        await ChangeAsync(AuthState.LoggedOut, reason: "AUTH_KEY_DUPLICATED");
        await _status.SetAsync(AccountStatus.LoggedOut, "AUTH_KEY_DUPLICATED");
    }

    private async Task StepAsync(Guid commandId, string step, TdFunction<Ok> function, CancellationToken cancellationToken)
    {
        var client = _account.Client ?? throw new InvalidOperationException("The account's client is not started.");
        lock (_gate)
        {
            _commandId = commandId;
        }

        try
        {
            await client.SendAsync(function, _stepTimeout, cancellationToken);
        }
        catch (TdException e)
        {
            var reason = TelegramReasons.Of(e);
            Log.LoginStepFailed(_logger, _account.AccountId, step, PhoneMasked ?? string.Empty, reason);
            await ChangeAsync(AuthState.Failed, reason: reason, commandId: commandId);
        }
        catch (TimeoutException)
        {
            Log.LoginStepTimedOut(_logger, _account.AccountId, step, _stepTimeout);
            await ChangeAsync(AuthState.Failed, reason: "LOGIN_STEP_TIMEOUT", commandId: commandId);
        }
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

        var change = new AuthenticationStateChanged(commandId.Value, _account.AccountId, state, _time.GetUtcNow())
        {
            Reason = reason,
            PasswordHint = hint,
            CodeDelivery = codeDelivery,
        };
        if (state != AuthState.Ready)
        {
            await _reporter.SafelyAsync(() => _accounts.UpsertAsync(_account.AccountId, _shard, PhoneMasked, AccountRowStatus.Of(state), CancellationToken.None));
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

        Log.AuthenticationChanged(_logger, _account.AccountId, change.State, change.Reason ?? string.Empty);
        changed.TrySetResult();
        await _reporter.PublishAsync(change, cancellationToken);
    }

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

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AuthenticationChanged, Level = LogLevel.Information, Message = "Account {AccountId} login is {State} {Reason}")]
        internal static partial void AuthenticationChanged(ILogger logger, string accountId, AuthState state, string reason);

        [LoggerMessage(EventId = EventIds.LoginStepFailed, Level = LogLevel.Warning, Message = "Account {AccountId} login step {Step} for {Phone} failed: {Reason}")]
        internal static partial void LoginStepFailed(ILogger logger, string accountId, string step, string phone, string reason);

        [LoggerMessage(EventId = EventIds.LoginStepTimedOut, Level = LogLevel.Warning, Message = "Account {AccountId} login step {Step} got no answer within {Timeout}")]
        internal static partial void LoginStepTimedOut(ILogger logger, string accountId, string step, TimeSpan timeout);

        [LoggerMessage(EventId = EventIds.LogOutFailed, Level = LogLevel.Warning, Message = "Account {AccountId}: logOut failed ({Error}); the client is closed locally")]
        internal static partial void LogOutFailed(ILogger logger, string accountId, string error);
    }
}
