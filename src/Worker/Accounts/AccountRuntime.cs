using TgFleet.Contracts.Accounts;
using TgFleet.Storage.Accounts;
using TgFleet.Tdlib;
using TgFleet.Tdlib.Api;
using TgFleet.Worker.Messaging;
using TgFleet.Worker.Proxies;
using TgFleet.Worker.Queries;
using TgFleet.Worker.Sessions;
using AuthState = TgFleet.Contracts.Accounts.AuthenticationState;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// One account's TDLib client on this worker: starts it (its stored session restored by
/// <see cref="Sessions"/>), follows its updates and hands each to the capability it concerns
/// (<see cref="Login"/>, <see cref="Status"/>, <see cref="Sending"/>, incoming messages), and stops
/// it (checkpointing only when graceful). What the account can be asked to do lives in those
/// capabilities, and in <see cref="Proxy"/> and <see cref="Queries"/>.
/// </summary>
public sealed partial class AccountRuntime : IAccountClient, IAsyncDisposable
{
    private readonly TelegramOptions _telegram;
    private readonly TimeSpan _stepTimeout;
    private readonly TdClientManager _manager;
    private readonly AccountStore _accounts;
    private readonly ILogger _logger;
    private readonly IncomingMessages _incoming;
    private TdClient? _client;
    private Task _updates = Task.CompletedTask;
    private volatile AuthorizationState? _tdState;
    private volatile bool _stopping;
    private int _stopped;

    internal AccountRuntime(string accountId, int shard, AccountRuntimeServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        AccountId = accountId;
        Shard = shard;
        _stepTimeout = services.Options.LoginStepTimeout;
        _manager = services.Manager;
        _accounts = services.Accounts;
        _logger = services.Loggers.CreateLogger<AccountRuntime>();
        var reporter = new AccountEventReporter(accountId, services.Events, _logger);
        Sessions = new SessionCheckpoints(accountId, shard, services.Options.DataDirectory, services.Cipher, services.Sessions, services.Loggers.CreateLogger<SessionCheckpoints>());
        Status = new AccountStatusTracker(accountId, services.Accounts, reporter, services.Time);
        Login = new AccountLogin(this, shard, services.Accounts, reporter, Status, _stepTimeout, services.Time, services.Loggers.CreateLogger<AccountLogin>());
        Sending = new AccountSender(this, Status, services.Lookups, services.Sending, _stepTimeout, services.Metrics, services.Time, services.Loggers.CreateLogger<AccountSender>());
        Proxy = new AccountProxyRoute(this, services.Egress, reporter, _stepTimeout, services.Time, services.Loggers.CreateLogger<AccountProxyRoute>());
        Queries = new AccountTelegramQueries(this, _stepTimeout);
        _incoming = new IncomingMessages(accountId, services.OptOuts, services.Events, services.Metrics, services.Loggers.CreateLogger<IncomingMessages>());
        _telegram = services.Options;
    }

    /// <summary>The upstream-chosen account key.</summary>
    public string AccountId { get; }

    /// <summary>The account's shard.</summary>
    public int Shard { get; }

    /// <summary>The lease epoch this runtime writes under.</summary>
    public long Epoch => Sessions.Epoch;

    /// <summary>The account's session: its directory, restore and checkpoints.</summary>
    public SessionCheckpoints Sessions { get; }

    /// <summary>The account's login: phone, code, password, log-out, and the state it is in.</summary>
    public AccountLogin Login { get; }

    /// <summary>The account's operational status and Telegram's limits.</summary>
    public AccountStatusTracker Status { get; }

    /// <summary>Sending messages from the account.</summary>
    public AccountSender Sending { get; }

    /// <summary>The proxy the account connects through.</summary>
    public AccountProxyRoute Proxy { get; }

    /// <summary>Read-only questions to Telegram about the account.</summary>
    public AccountTelegramQueries Queries { get; }

    /// <summary>The last login state reported (null before the first).</summary>
    public AuthState? State => Login.State;

    /// <summary>Whether the account's TDLib client has closed (logged out, banned, stopped): a new login needs a new runtime.</summary>
    public bool IsClosed => _client?.Closed.IsCompleted ?? true;

    /// <inheritdoc/>
    TdClient? IAccountClient.Client => _client;

    /// <summary>
    /// Starts the client: unpacks <paramref name="restore"/> (if any) into the session directory,
    /// gives TDLib its parameters and follows its updates. With a valid session the account goes
    /// straight to <see cref="AuthState.Ready"/>; without one it waits for <see cref="AccountLogin.SetPhoneAsync"/>.
    /// </summary>
    public async Task StartAsync(StoredSession? restore, long epoch, CancellationToken cancellationToken, ProxySettings? proxy = null, string? proxyReason = null)
    {
        if (_client is not null)
        {
            throw new InvalidOperationException("The account's client is already started.");
        }

        await Status.RestoreLimitsAsync(cancellationToken);
        if (await Sessions.RestoreAsync(restore, epoch, cancellationToken))
        {
            Login.Restoring();
        }

        var client = _manager.CreateClient();
        _client = client;
        _updates = Task.Run(() => FollowUpdatesAsync(client), CancellationToken.None);
        var route = await Proxy.FirstRouteAsync(client, proxy, cancellationToken);
        await client.SendAsync(Parameters(), _stepTimeout, cancellationToken);
        if (route is not null)
        {
            // What a restored session's TDLib database kept (an earlier worker's gate) goes.
            await Proxy.RouteAsync(client, proxy, (await route).Id, cancellationToken);
        }

        if (proxy is not null)
        {
            await Proxy.UseProxyAsync(proxy, proxyReason ?? "SET", cancellationToken: cancellationToken);
        }
    }

    /// <inheritdoc cref="AccountLogin.WaitForStateAsync"/>
    public Task WaitForStateAsync(AuthState state, TimeSpan timeout, CancellationToken cancellationToken) =>
        Login.WaitForStateAsync(state, timeout, cancellationToken);

    /// <inheritdoc/>
    Task IAccountClient.WaitUntilRestoredAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        Login.WaitUntilRestoredAsync(wait, cancellationToken);

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
        await Status.StopAsync();
        var wasReady = State == AuthState.Ready && _tdState is AuthorizationStateReady;
        if (_client is { } client)
        {
            await client.CloseAsync(cancellationToken);
            Sending.AbandonPendingSends();
            await _updates.WaitAsync(cancellationToken);
            if (graceful && wasReady)
            {
                await Sessions.CheckpointAsync(cancellationToken);
            }

            await client.DisposeAsync();
        }

        Sessions.Delete();
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
            Sessions.Dispose();
            await Status.DisposeAsync();
        }
    }

    private async Task FollowUpdatesAsync(TdClient client)
    {
        try
        {
            await foreach (var update in client.Updates.ReadAllAsync(CancellationToken.None))
            {
                switch (update)
                {
                    case UpdateAuthorizationState { AuthorizationState: { } state }:
                        _tdState = state;
                        await Login.OnAuthorizationStateAsync(state, _stopping);
                        if (state is AuthorizationStateReady)
                        {
                            await OnReadyAsync(client);
                            await Status.ReadyAsync();
                        }

                        break;
                    case UpdateMessageSendSucceeded { Message: { } sent } succeeded:
                        Sending.OnSendOutcome(sent.ChatId, succeeded.OldMessageId, succeeded);
                        break;
                    case UpdateMessageSendFailed { Message: { } unsent } failed:
                        Sending.OnSendOutcome(unsent.ChatId, failed.OldMessageId, failed);
                        break;
                    case UpdateNewMessage { Message: { IsOutgoing: false } message }:
                        await _incoming.OnReceivedAsync(message);
                        break;
                    case UpdateConnectionState { State: { } connection }:
                        await Status.OnConnectionStateAsync(connection, reporting: State == AuthState.Ready && !_stopping);
                        break;
                    case UpdateServiceNotification notification when notification.Type.StartsWith("AUTH_KEY_DROP_", StringComparison.Ordinal):
                        await Login.OnAuthKeyDroppedAsync();
                        break;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.UpdateLoopFailed(_logger, AccountId, e);
        }
    }

    /// <summary>Logged in: who the account is, its row online, its database on the active key, a checkpoint.</summary>
    private async Task OnReadyAsync(TdClient client)
    {
        try
        {
            var me = await client.SendAsync(new GetMe(), _stepTimeout, CancellationToken.None);
            Status.UserId = me.Id;
        }
        catch (Exception e) when (e is TdException or TimeoutException)
        {
            Log.GetMeFailed(_logger, AccountId, e.Message);
        }

        try
        {
            await _accounts.UpsertAsync(AccountId, Shard, Login.PhoneMasked, AccountRowStatus.Online, CancellationToken.None);
            await Sessions.OnReadyAsync(client, _stepTimeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.CheckpointFailed(_logger, AccountId, Sessions.Epoch, e);
        }
    }

    private SetTdlibParameters Parameters() => new()
    {
        UseTestDc = false,
        DatabaseDirectory = Sessions.Directory,
        FilesDirectory = Sessions.Directory,
        DatabaseEncryptionKey = Sessions.DatabaseKey,
        UseFileDatabase = false,
        UseChatInfoDatabase = false,
        UseMessageDatabase = false,
        UseSecretChats = false,
        ApiId = _telegram.ApiId,
        ApiHash = _telegram.ApiHash,
        SystemLanguageCode = "en",
        DeviceModel = _telegram.DeviceModel,
        SystemVersion = Environment.OSVersion.VersionString,
        ApplicationVersion = typeof(AccountRuntime).Assembly.GetName().Version?.ToString() ?? "1.0",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CheckpointFailed, Level = LogLevel.Error, Message = "Checkpoint of account {AccountId} (epoch {Epoch}) failed")]
        internal static partial void CheckpointFailed(ILogger logger, string accountId, long epoch, Exception error);

        [LoggerMessage(EventId = EventIds.UpdateLoopFailed, Level = LogLevel.Error, Message = "Account {AccountId} stopped following its updates")]
        internal static partial void UpdateLoopFailed(ILogger logger, string accountId, Exception error);

        [LoggerMessage(EventId = EventIds.GetMeFailed, Level = LogLevel.Warning, Message = "Account {AccountId} is ready but getMe failed: {Error}")]
        internal static partial void GetMeFailed(ILogger logger, string accountId, string error);
    }
}
