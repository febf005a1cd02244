using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Sessions;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// LogOut and RemoveAccount, after the command pipeline (<see cref="CommandFilter{T}"/>) has
/// validated and journalled them: the account is logged out of Telegram (when its client runs
/// here), its session deleted, and for RemoveAccount its row removed. Each ends with
/// <see cref="AccountStatusChanged"/> <see cref="AccountStatus.LoggedOut"/>; done before, nothing
/// is done or published again (logging out twice changes nothing).
/// </summary>
public sealed partial class AccountLifecycle(AccountRegistry registry, SessionStore sessions, AccountStore accounts,
    IAccountEvents events, TimeProvider time, ILogger<AccountLifecycle> logger)
{
    /// <summary>Logs the account out; with <paramref name="remove"/> it is also forgotten.</summary>
    public async Task HandleAsync(ConsumeContext context, Guid commandId, string accountId, bool remove)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.CancellationToken;
        if (context.IsReplay())
        {
            return;
        }

        var runtime = registry.Find(accountId);
        if (runtime is null && await accounts.StatusAsync(accountId, ct) is null)
        {
            context.Refuse("AccountId", "ACCOUNT_UNKNOWN", "The fleet has no account with this id.");
            return;
        }

        if (runtime is not null)
        {
            await runtime.Login.LogOutAsync(commandId, ct);
            await registry.RemoveAsync(accountId, ct);
        }

        await sessions.DeleteAsync(accountId, ct);
        if (remove)
        {
            await accounts.DeleteAsync(accountId, ct);
            Log.Removed(logger, accountId);
            await events.PublishAsync(new AccountStatusChanged(accountId, AccountStatus.LoggedOut, time.GetUtcNow()) { CommandId = commandId, Reason = "ACCOUNT_REMOVED" }, ct);
        }
        else if (runtime is null)
        {
            // Not running here (never finished a login): record and report the log-out all the same.
            await accounts.SetStatusAsync(accountId, AccountStatus.LoggedOut, "LOGGED_OUT", null, null, ct);
            await events.PublishAsync(new AccountStatusChanged(accountId, AccountStatus.LoggedOut, time.GetUtcNow()) { CommandId = commandId, Reason = "LOGGED_OUT" }, ct);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AccountRemoved, Level = LogLevel.Information, Message = "Account {AccountId} removed with its session")]
        internal static partial void Removed(ILogger logger, string accountId);
    }
}

/// <summary>Logs an account out of Telegram and deletes its session.</summary>
public sealed class LogOutConsumer(AccountLifecycle lifecycle) : IConsumer<LogOut>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<LogOut> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return lifecycle.HandleAsync(context, context.Message.CommandId, context.Message.AccountId, remove: false);
    }
}

/// <summary>Logs an account out and removes it from the fleet.</summary>
public sealed class RemoveAccountConsumer(AccountLifecycle lifecycle) : IConsumer<RemoveAccount>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<RemoveAccount> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return lifecycle.HandleAsync(context, context.Message.CommandId, context.Message.AccountId, remove: true);
    }
}
