using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// What every login command goes through: validation (an invalid one is answered with
/// <see cref="CommandRejected"/>), the idempotency journal (a redelivery of a handled command
/// does nothing beyond a log line), then the account's runtime in the <see cref="AccountRegistry"/>.
/// </summary>
public sealed partial class AccountCommands(AccountRegistry registry, AccountStore accounts, CommandJournal journal, CommandRejections rejections, WorkerMetrics metrics, TimeProvider time, ILogger<AccountCommands> logger)
{
    /// <summary>Runs <paramref name="work"/> on the account's runtime once per command id.</summary>
    /// <param name="context">The delivery.</param>
    /// <param name="commandId">The command's idempotency key.</param>
    /// <param name="accountId">The account.</param>
    /// <param name="startIfNew">Start the account's runtime when it is not running (Authenticate); otherwise an account not running is rejected.</param>
    /// <param name="work">The login step.</param>
    public async Task HandleAsync<T>(ConsumeContext<T> context, Guid commandId, string accountId, bool startIfNew, Func<AccountRuntime, CancellationToken, Task> work)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(work);
        var started = time.GetTimestamp();
        var outcome = "failed";
        try
        {
            outcome = await RunAsync(context, commandId, accountId, startIfNew, work);
        }
        finally
        {
            metrics.Command(typeof(T).Name, outcome, time.GetElapsedTime(started));
        }
    }

    private async Task<string> RunAsync<T>(ConsumeContext<T> context, Guid commandId, string accountId, bool startIfNew, Func<AccountRuntime, CancellationToken, Task> work)
        where T : class
    {
        var command = typeof(T).Name;
        var ct = context.CancellationToken;
        if (CommandValidator.Validate(context.Message) is { } problem)
        {
            await rejections.PublishAsync(context, commandId, accountId, command, problem);
            return "rejected";
        }

        if (await journal.BeginAsync(commandId, accountId, command, ct) is { } entry)
        {
            Log.CommandRedelivered(logger, command, commandId, entry.State);
            if (entry.State != CommandState.Accepted)
            {
                // Handled before: answered with where the login stands now.
                await AnswerAgainAsync(context, commandId, accountId, command);
                return "replayed";
            }

            // Left 'accepted': a worker stopped mid-step. A login step is safe to run again (TDLib
            // answers a step that no longer applies with the state it is in), so it runs.
        }

        try
        {
            var runtime = registry.Find(accountId);
            if (runtime is { IsClosed: true } && startIfNew)
            {
                runtime = null;
            }

            if (runtime is null && startIfNew)
            {
                if (!registry.Owns(registry.ShardOf(accountId)))
                {
                    await rejections.PublishAsync(context, commandId, accountId, command, "AccountId", "SHARD_NOT_OWNED", "This worker does not own the account's shard.");
                    await journal.MoveAsync(commandId, CommandState.Accepted, CommandState.Failed, null, ct);
                    return "rejected";
                }

                runtime = await registry.GetOrStartAsync(accountId, ct);
            }

            if (runtime is null && await accounts.StatusAsync(accountId, ct) is "awaiting_code" or "awaiting_password")
            {
                // A login's progress lives in its TDLib client; the account's shard moved (or its
                // worker stopped) while it waited for this step.
                await rejections.PublishAsync(context, commandId, accountId, command, "AccountId", "LOGIN_INTERRUPTED",
                    "The account's login was interrupted (its shard moved to another worker); send Authenticate again.");
                await journal.MoveAsync(commandId, CommandState.Accepted, CommandState.Failed, null, ct);
                return "rejected";
            }

            if (runtime is null)
            {
                await rejections.PublishAsync(context, commandId, accountId, command, "AccountId", "ACCOUNT_UNKNOWN", "The account has no login in progress on this worker: send Authenticate first.");
                await journal.MoveAsync(commandId, CommandState.Accepted, CommandState.Failed, null, ct);
                return "rejected";
            }

            await work(runtime, ct);
            await journal.MoveAsync(commandId, CommandState.Accepted, CommandState.Succeeded, null, ct);
            return "succeeded";
        }
        catch (Exception e) when (e is not OperationCanceledException && !TransientFailure.Is(e))
        {
            // Recorded as failed so a redelivery reports it instead of starting a half-done step again;
            // the exception takes the message to the error queue.
            Log.CommandFailed(logger, command, commandId, e);
            await journal.MoveAsync(commandId, CommandState.Accepted, CommandState.Failed, null, CancellationToken.None);
            throw;
        }
    }

    /// <summary>A redelivered login command that was handled already: the account's login state now, or that it is unknown here.</summary>
    private async Task AnswerAgainAsync<T>(ConsumeContext<T> context, Guid commandId, string accountId, string command)
        where T : class
    {
        if (registry.Find(accountId) is { State: { } state })
        {
            await context.Publish(new AuthenticationStateChanged(commandId, accountId, state, time.GetUtcNow()), CancellationToken.None);
            return;
        }

        await rejections.PublishAsync(context, commandId, accountId, command, "AccountId", "ACCOUNT_UNKNOWN", "The command was handled before, and the account has no login on this worker now.");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CommandRedelivered, Level = LogLevel.Information, Message = "{Command} {CommandId} was delivered again ({State}); nothing done")]
        internal static partial void CommandRedelivered(ILogger logger, string command, Guid commandId, CommandState state);

        [LoggerMessage(EventId = EventIds.CommandFailed, Level = LogLevel.Error, Message = "{Command} {CommandId} failed")]
        internal static partial void CommandFailed(ILogger logger, string command, Guid commandId, Exception error);
    }
}
