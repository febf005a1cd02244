using TgFleet.Contracts.Accounts;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// One account's operational status (online, connecting, flood wait, limited, logged out, banned):
/// recorded in <c>accounts</c> and published as <see cref="AccountStatusChanged"/> on change, with
/// the limits Telegram set (FLOOD_WAIT, PEER_FLOOD) that outlive a worker.
/// </summary>
public sealed class AccountStatusTracker : IAsyncDisposable
{
    private static readonly TimeSpan ConnectingGrace = TimeSpan.FromSeconds(3);

    private readonly string _accountId;
    private readonly AccountStore _accounts;
    private readonly AccountEventReporter _reporter;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _checksGate = new();
    private Task _connectingChecks = Task.CompletedTask;
    private volatile bool _connectionReady;
    // Written under the gate, read by sends, queries and metrics on other threads: one int (0: none
    // yet) so that every read sees a whole value.
    private volatile int _status;
    private DateTimeOffset? _until;
    private string? _reason;
    // Written by the account's commands and its update loop, read by status and queries on other
    // threads: kept as UTC ticks so that every read sees a whole value.
    private long _floodEndTicks;
    private long _limitEndTicks;
    private long _userId;

    internal AccountStatusTracker(string accountId, AccountStore accounts, AccountEventReporter reporter, TimeProvider time)
    {
        _accountId = accountId;
        _accounts = accounts;
        _reporter = reporter;
        _time = time;
    }

    /// <summary>The last operational status reported (null before the account was first online).</summary>
    public AccountStatus? Current => _status == 0 ? null : (AccountStatus)_status;

    /// <summary>Telegram's user id of the account, once ready.</summary>
    public long? UserId
    {
        get => Volatile.Read(ref _userId) is var id and not 0 ? id : null;
        internal set => Volatile.Write(ref _userId, value ?? 0);
    }

    /// <summary>The end of the account's current FLOOD_WAIT (in the past when none).</summary>
    public DateTimeOffset FloodEnd
    {
        get => new(Volatile.Read(ref _floodEndTicks), TimeSpan.Zero);
        internal set => Volatile.Write(ref _floodEndTicks, value.UtcTicks);
    }

    /// <summary>The end of the account's current PEER_FLOOD limit (in the past when none).</summary>
    public DateTimeOffset LimitEnd
    {
        get => new(Volatile.Read(ref _limitEndTicks), TimeSpan.Zero);
        internal set => Volatile.Write(ref _limitEndTicks, value.UtcTicks);
    }

    /// <summary>
    /// Moves the account to <paramref name="status"/>: the row is updated and
    /// <see cref="AccountStatusChanged"/> published when the status, its reason or its end changed.
    /// </summary>
    internal async Task SetAsync(AccountStatus status, string? reason = null, DateTimeOffset? until = null, Guid commandId = default)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (Current == status && _until == until && _reason == reason)
            {
                return;
            }

            _status = (int)status;
            _until = until;
            _reason = reason;
            var now = _time.GetUtcNow();
            DateTimeOffset? limited = LimitEnd > now ? LimitEnd : null;
            DateTimeOffset? flood = FloodEnd > now ? FloodEnd : null;
            await _reporter.SafelyAsync(() => _accounts.SetStatusAsync(_accountId, status, reason, until ?? flood, UserId, CancellationToken.None, limited));
            var changed = new AccountStatusChanged(_accountId, status, _time.GetUtcNow()) { CommandId = commandId, Until = until, Reason = reason };
            await _reporter.PublishAsync(changed, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes over the limits recorded by the account's previous runtime (another worker, or before a restart).</summary>
    internal async Task RestoreLimitsAsync(CancellationToken cancellationToken)
    {
        var (flood, limited) = await _accounts.LimitsAsync(_accountId, cancellationToken);
        FloodEnd = flood ?? default;
        LimitEnd = limited ?? default;
    }

    /// <summary>The status a ready account has: its recorded limits still count.</summary>
    internal Task ReadyAsync()
    {
        var now = _time.GetUtcNow();
        return FloodEnd > now ? SetAsync(AccountStatus.FloodWait, TelegramReasons.FloodWait, FloodEnd)
            : LimitEnd > now ? SetAsync(AccountStatus.Limited, "PEER_FLOOD")
            : SetAsync(AccountStatus.Online);
    }

    /// <summary>
    /// TDLib's connection changed; <paramref name="reporting"/> says whether the account is logged
    /// in and not stopping (only then does the connection change its status).
    /// </summary>
    internal async Task OnConnectionStateAsync(Td.ConnectionState state, bool reporting)
    {
        var ready = state is Td.ConnectionStateReady;
        _connectionReady = ready;
        if (!reporting)
        {
            return;
        }

        if (ready)
        {
            if (Current == AccountStatus.Connecting)
            {
                await ReadyAsync();
            }

            return;
        }

        if (state is Td.ConnectionStateConnecting or Td.ConnectionStateConnectingToProxy or Td.ConnectionStateWaitingForNetwork)
        {
            // TDLib passes through Connecting/Updating briefly after every start and resume: only a
            // connection still down after a grace period is reported.
            var reason = state is Td.ConnectionStateConnectingToProxy ? "PROXY_UNREACHABLE" : "NETWORK";
            lock (_checksGate)
            {
                // Tracked, so that stopping waits for it before the status gate is disposed.
                var check = ReportIfStillDownAsync(reason, _lifetime.Token);
                _connectingChecks = _connectingChecks.IsCompleted ? check : Task.WhenAll(_connectingChecks, check);
            }
        }
    }

    /// <summary>No status changes from here on: connection checks still waiting are cancelled and awaited.</summary>
    internal async Task StopAsync()
    {
        Task checks;
        lock (_checksGate)
        {
            if (!_lifetime.IsCancellationRequested)
            {
                _lifetime.Cancel();
            }

            checks = _connectingChecks;
        }

        await checks;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _gate.Dispose();
        _lifetime.Dispose();
    }

    private async Task ReportIfStillDownAsync(string reason, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(ConnectingGrace, _time, stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!_connectionReady && !stopping.IsCancellationRequested && Current is AccountStatus.Online)
        {
            await SetAsync(AccountStatus.Connecting, reason);
        }
    }
}
