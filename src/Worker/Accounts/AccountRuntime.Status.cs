using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Accounts;

/// <summary>The account's operational status: recorded in <c>accounts</c> and published on change.</summary>
public sealed partial class AccountRuntime
{
    private readonly SemaphoreSlim _statusGate = new(1, 1);
    private AccountStatus? _status;
    private DateTimeOffset? _floodWaitUntil;
    private string? _statusReason;

    /// <summary>The last operational status reported (null before the account was first online).</summary>
    public AccountStatus? Status => _status;

    /// <summary>Telegram's user id of the account, once ready.</summary>
    public long? UserId { get; private set; }

    /// <summary>
    /// Moves the account to <paramref name="status"/>: the row is updated and
    /// <see cref="AccountStatusChanged"/> published when the status, its reason or its end changed.
    /// </summary>
    internal async Task SetStatusAsync(AccountStatus status, string? reason = null, DateTimeOffset? until = null, Guid commandId = default)
    {
        await _statusGate.WaitAsync(CancellationToken.None);
        try
        {
            if (_status == status && _floodWaitUntil == until && _statusReason == reason)
            {
                return;
            }

            _status = status;
            _floodWaitUntil = until;
            _statusReason = reason;
            var now = _services.Time.GetUtcNow();
            DateTimeOffset? limited = LimitEnd > now ? LimitEnd : null;
            DateTimeOffset? flood = FloodEnd > now ? FloodEnd : null;
            await SafelyAsync(() => _services.Accounts.SetStatusAsync(AccountId, StatusName(status), reason, until ?? flood, UserId, CancellationToken.None, limited));
            var changed = new AccountStatusChanged(AccountId, status, _services.Time.GetUtcNow()) { CommandId = commandId, Until = until, Reason = reason };
            await SafelyAsync(() => _services.Events.PublishAsync(changed, CancellationToken.None));
        }
        finally
        {
            _statusGate.Release();
        }
    }

    /// <summary>Takes over the limits recorded by the account's previous runtime (another worker, or before a restart).</summary>
    internal async Task RestoreLimitsAsync(CancellationToken cancellationToken)
    {
        var (flood, limited) = await _services.Accounts.LimitsAsync(AccountId, cancellationToken);
        FloodEnd = flood ?? default;
        LimitEnd = limited ?? default;
    }

    /// <summary>The status a ready account has: its recorded limits still count.</summary>
    private Task ReadyStatusAsync()
    {
        var now = _services.Time.GetUtcNow();
        return FloodEnd > now ? SetStatusAsync(AccountStatus.FloodWait, "FLOOD_WAIT", FloodEnd)
            : LimitEnd > now ? SetStatusAsync(AccountStatus.Limited, "PEER_FLOOD")
            : SetStatusAsync(AccountStatus.Online);
    }

    /// <summary>The <c>accounts.status</c> value of <paramref name="status"/> (0005_account_status.sql).</summary>
    public static string StatusName(AccountStatus status) => status switch
    {
        AccountStatus.Online => "online",
        AccountStatus.Connecting => "connecting",
        AccountStatus.FloodWait => "flood_wait",
        AccountStatus.Limited => "limited",
        AccountStatus.LoggedOut => "logged_out",
        AccountStatus.Banned => "banned",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not an account status."),
    };
}
