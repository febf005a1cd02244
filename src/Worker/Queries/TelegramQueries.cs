using MassTransit;
using TgFleet.Tdlib;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;
using AuthState = TgFleet.Contracts.Accounts.AuthenticationState;

namespace TgFleet.Worker.Queries;

/// <summary>
/// What every query answered by the account's TDLib client goes through (GetMe, GetChats,
/// SearchContacts) after the command pipeline has validated it: this worker must own the account's shard
/// (<c>SHARD_NOT_OWNED</c>), know the account (<c>ACCOUNT_UNKNOWN</c>: no runtime here and no
/// <c>accounts</c> row) and have it logged in (<c>ACCOUNT_NOT_READY</c>); a TDLib error or no
/// answer is rejected too (<see cref="TelegramReasons.OfQuery"/>, <c>TDLIB_TIMEOUT</c>).
/// Read-only, so nothing is journalled: a redelivered query is simply answered again.
/// </summary>
public sealed partial class TelegramQueries(AccountRegistry registry, AccountStore accounts, ILogger<TelegramQueries> logger)
{
    /// <summary>Answers <paramref name="context"/> with what <paramref name="ask"/> gets from the account's runtime, or with <c>CommandRejected</c>.</summary>
    public async Task AnswerAsync<TQuery, TAnswer>(ConsumeContext<TQuery> context, Guid commandId, string accountId,
        Func<AccountRuntime, CancellationToken, Task<TAnswer>> ask)
        where TQuery : class
        where TAnswer : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(ask);
        var ct = context.CancellationToken;
        var shard = registry.ShardOf(accountId);
        if (!registry.Owns(shard))
        {
            context.Refuse("AccountId", CommandRejections.ShardNotOwned, $"This worker does not own the account's shard {shard}.");
            return;
        }

        var runtime = registry.Find(accountId);
        if (runtime is null)
        {
            var status = await accounts.StatusAsync(accountId, ct);
            if (status is null)
            {
                context.Refuse("AccountId", "ACCOUNT_UNKNOWN", "The fleet has no such account: send Authenticate first.");
            }
            else
            {
                context.Refuse("AccountId", CommandRejections.AccountNotReady, $"The account is not logged in on this worker (status {status}).");
            }

            return;
        }

        if (runtime.State != AuthState.Ready)
        {
            context.Refuse("AccountId", CommandRejections.AccountNotReady, $"The account is not logged in (login state {runtime.State?.ToString() ?? "none"}).");
            return;
        }

        TAnswer answer;
        try
        {
            answer = await ask(runtime, ct);
        }
        catch (TdException e)
        {
            var reason = TelegramReasons.OfQuery(e);
            Log.TdlibFailed(logger, typeof(TQuery).Name, commandId, accountId, e.Code, e.TdlibMessage);
            context.Refuse("AccountId", reason, $"TDLib answered {e.Code}: {e.TdlibMessage}");
            return;
        }
        catch (TimeoutException)
        {
            Log.TimedOut(logger, typeof(TQuery).Name, commandId, accountId);
            context.Refuse("AccountId", CommandRejections.TdlibTimeout, "TDLib did not answer in time (is Telegram reachable?).");
            return;
        }

        await context.RespondAsync(answer);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.QueryTdlibFailed, Level = LogLevel.Warning, Message = "{Query} {CommandId} for account {AccountId}: TDLib error {Code} {Error}")]
        internal static partial void TdlibFailed(ILogger logger, string query, Guid commandId, string accountId, int code, string error);

        [LoggerMessage(EventId = EventIds.QueryTimedOut, Level = LogLevel.Warning, Message = "{Query} {CommandId} for account {AccountId}: TDLib did not answer in time")]
        internal static partial void TimedOut(ILogger logger, string query, Guid commandId, string accountId);
    }
}
