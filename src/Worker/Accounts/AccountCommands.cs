using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// The login steps (Authenticate, SubmitAuthenticationCode, SubmitAuthenticationPassword), after
/// the command pipeline (<see cref="CommandFilter{T}"/>) has validated and journalled them: the
/// step runs on the account's runtime in the <see cref="AccountRegistry"/>. A step left half-done
/// by a worker that stopped runs again (TDLib answers a step that no longer applies with the state
/// it is in); a step that was done is answered with where the login stands now.
/// </summary>
public sealed class AccountCommands(AccountRegistry registry, AccountStore accounts, TimeProvider time)
{
    /// <summary>Runs <paramref name="work"/> on the account's runtime.</summary>
    /// <param name="context">The delivery.</param>
    /// <param name="commandId">The command's idempotency key.</param>
    /// <param name="accountId">The account.</param>
    /// <param name="startIfNew">Start the account's runtime when it is not running (Authenticate); otherwise an account not running is refused.</param>
    /// <param name="work">The login step.</param>
    public async Task HandleAsync(ConsumeContext context, Guid commandId, string accountId, bool startIfNew, Func<AccountRuntime, CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(work);
        var ct = context.CancellationToken;
        if (context.IsReplay())
        {
            await AnswerAgainAsync(context, commandId, accountId);
            return;
        }

        var runtime = registry.Find(accountId);
        if (runtime is { IsClosed: true } && startIfNew)
        {
            runtime = null;
        }

        if (runtime is null && startIfNew)
        {
            if (!registry.Owns(registry.ShardOf(accountId)))
            {
                context.Refuse("AccountId", CommandRejections.ShardNotOwned, "This worker does not own the account's shard.");
                return;
            }

            runtime = await registry.GetOrStartAsync(accountId, ct);
        }

        if (runtime is null && await accounts.StatusAsync(accountId, ct) is { LoginPending: true })
        {
            // A login's progress lives in its TDLib client; the account's shard moved (or its
            // worker stopped) while it waited for this step.
            context.Refuse("AccountId", "LOGIN_INTERRUPTED", "The account's login was interrupted (its shard moved to another worker); send Authenticate again.");
            return;
        }

        if (runtime is null)
        {
            context.Refuse("AccountId", "ACCOUNT_UNKNOWN", "The account has no login in progress on this worker: send Authenticate first.");
            return;
        }

        await work(runtime, ct);
    }

    /// <summary>A login command that was handled already: the account's login state now, or that it is unknown here.</summary>
    private async Task AnswerAgainAsync(ConsumeContext context, Guid commandId, string accountId)
    {
        if (registry.Find(accountId) is not { State: { } state })
        {
            context.Refuse("AccountId", "ACCOUNT_UNKNOWN", "The command was handled before, and the account has no login on this worker now.");
            return;
        }

        await context.Publish(new AuthenticationStateChanged(commandId, accountId, state, time.GetUtcNow()), CancellationToken.None);
    }
}
