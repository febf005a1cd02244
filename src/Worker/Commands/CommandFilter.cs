using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Commands;

/// <summary>
/// THE command pipeline, a scoped consume filter on every endpoint that executes commands
/// (<c>UseConsumeFilter(typeof(CommandFilter&lt;&gt;), context)</c>; docs/messaging.md, "One
/// pipeline"). Every command and query the worker executes (<see cref="CommandKind"/>) goes through
/// it, so a consumer is a few lines that call its service:
/// <list type="number">
/// <item>validation (<see cref="CommandValidator"/>): an invalid command is answered with
/// <see cref="CommandRejected"/> and goes no further;</item>
/// <item>the idempotency journal (<see cref="CommandJournal"/>, for the journalled kinds): a new
/// command is recorded <c>accepted</c>; a CommandId already used by another command (another type
/// or body) → <c>COMMAND_ID_REUSED</c>; one left <c>accepted</c> (its worker stopped mid-step)
/// runs again; a recorded rejection is answered again; any other finished command reaches its
/// consumer marked as a replay (<see cref="CommandReplay"/>), which answers without doing it again;</item>
/// <item>the consumer; a refusal it reports (<see cref="CommandPipeline.Refuse"/>) is answered with
/// <see cref="CommandRejected"/> and recorded as the outcome, unless it only says "not now"
/// (<see cref="CommandRejections.IsPermanent"/>): then the row goes, and a retry under the same id
/// executes; its end is recorded (<c>succeeded</c>,
/// or <c>failed</c> for an exception of its own, which then goes on to the error pipe).
/// A refusal is not an exception: MassTransit answers a request whose consumer threw with a
/// <c>Fault</c> before any filter outside the consumer could catch it;</item>
/// <item>the metrics <c>tgfleet.commands</c> {command, outcome} and <c>tgfleet.command.duration</c>.</item>
/// </list>
/// Infrastructure failures (<see cref="TransientFailure"/>) pass through unrecorded: the account's
/// lane runs the command again.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed partial class CommandFilter<T>(CommandJournal journal, CommandRejections rejections, WorkerMetrics metrics, TimeProvider time, ILogger<CommandFilter<T>> logger)
    : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly CommandKind? Kind = CommandKind.Of(typeof(T));
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (Kind is not { } kind)
        {
            await next.Send(context);
            return;
        }

        var started = time.GetTimestamp();
        var outcome = context.GetOrAddPayload(() => new CommandOutcome());
        try
        {
            await RunAsync(kind, context, next, outcome);
        }
        catch (Exception e)
        {
            outcome.Name = e is OperationCanceledException || TransientFailure.Is(e) ? "retried" : "failed";
            throw;
        }
        finally
        {
            metrics.Command(kind.Name, outcome.Name, time.GetElapsedTime(started));
        }
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context.CreateFilterScope("commandPipeline");

    private async Task RunAsync(CommandKind kind, ConsumeContext<T> context, IPipe<ConsumeContext<T>> next, CommandOutcome outcome)
    {
        var message = context.Message;
        var commandId = kind.CommandIdOf(message);
        var accountId = kind.AccountIdOf(message);
        if (CommandValidator.Validate(message) is { } problem)
        {
            await rejections.RejectAsync(context, kind, commandId, accountId, problem.Field, problem.Reason, problem.Detail);
            outcome.Name = "rejected";
            return;
        }

        if (!kind.Journalled)
        {
            await ConsumeAsync(kind, context, next, outcome);
            return;
        }

        switch (await journal.BeginAsync(commandId, accountId!, kind.Name, JournalEntry.BodyHash(message)))
        {
            case null:
                break;
            case { SameBody: false }:
                // The same id, another command or body: refused, as idempotency keys are; nothing is recorded.
                await rejections.RejectAsync(context, kind, commandId, accountId, "CommandId", "COMMAND_ID_REUSED",
                    "Another command was already executed under this CommandId; this one was not. Give every command a new id.");
                outcome.Name = "rejected";
                return;
            case { State: CommandState.Accepted }:
                // Left 'accepted': its worker stopped mid-step (or the journal's last write failed).
                Log.Resumed(logger, kind.Name, commandId);
                break;
            case { State: CommandState.Failed, Outcome: { } recorded } when JsonSerializer.Deserialize<CommandRejected>(recorded, Json) is { } rejected:
                if (!CommandRejections.IsPermanent(rejected.Reason)
                    && await journal.MoveAsync(commandId, CommandState.Failed, CommandState.Accepted, null, CancellationToken.None))
                {
                    // A "not now" refusal that an earlier version recorded as final: it runs now.
                    Log.Resumed(logger, kind.Name, commandId);
                    break;
                }

                Log.Replayed(logger, kind.Name, commandId, CommandState.Failed);
                await rejections.AnswerAsync(context, kind, rejected);
                outcome.Name = "replayed";
                return;
            case { } entry:
                Log.Replayed(logger, kind.Name, commandId, entry.State);
                context.GetOrAddPayload(() => new CommandReplay(entry));
                outcome.Name = "replayed";
                await ConsumeAsync(kind, context, next, outcome);
                return;
        }

        CommandRejected? refused;
        try
        {
            refused = await ConsumeAsync(kind, context, next, outcome);
        }
        catch (Exception e) when (e is not OperationCanceledException && !TransientFailure.Is(e))
        {
            // Recorded, so that a redelivery does not start a half-done step again; the exception
            // takes the delivery on to the error pipe (CommandFailureAnswers).
            Log.Failed(logger, kind.Name, commandId, e);
            await journal.FinishAsync(commandId, CommandState.Failed, null);
            throw;
        }

        if (refused is { Permanent: false })
        {
            // Not now (ACCOUNT_NOT_READY, SHARD_NOT_OWNED): not the command's outcome; a retry executes.
            await journal.ForgetAsync(commandId, CancellationToken.None);
            return;
        }

        await journal.FinishAsync(commandId, refused is null ? CommandState.Succeeded : CommandState.Failed,
            refused is null ? null : JsonSerializer.Serialize(refused, Json));
    }

    /// <summary>Runs the consumer; answers the refusal it reported, if any, and returns the answer.</summary>
    private async Task<CommandRejected?> ConsumeAsync(CommandKind kind, ConsumeContext<T> context, IPipe<ConsumeContext<T>> next, CommandOutcome outcome)
    {
        await next.Send(context);
        if (outcome.Refusal is not { } refusal)
        {
            return null;
        }

        outcome.Name = "rejected";
        return await rejections.RejectAsync(context, kind, kind.CommandIdOf(context.Message), kind.AccountIdOf(context.Message), refusal.Field, refusal.Reason, refusal.Detail);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CommandRedelivered, Level = LogLevel.Information, Message = "{Command} {CommandId} was delivered again ({State}); answered, not done again")]
        internal static partial void Replayed(ILogger logger, string command, Guid commandId, CommandState state);

        [LoggerMessage(EventId = EventIds.CommandResumed, Level = LogLevel.Information, Message = "{Command} {CommandId} was left accepted by an earlier delivery; it runs again")]
        internal static partial void Resumed(ILogger logger, string command, Guid commandId);

        [LoggerMessage(EventId = EventIds.CommandFailed, Level = LogLevel.Error, Message = "{Command} {CommandId} failed")]
        internal static partial void Failed(ILogger logger, string command, Guid commandId, Exception error);
    }
}

/// <summary>The outcome a command's delivery is counted under (<c>tgfleet.commands</c>); its consumer may name it (<see cref="CommandPipeline.Report"/>).</summary>
public sealed class CommandOutcome
{
    /// <summary>succeeded, rejected, replayed, failed, retried, or what the consumer reported (sent, unknown, …).</summary>
    public string Name { get; set; } = "succeeded";

    /// <summary>The refusal the consumer reported (<see cref="CommandPipeline.Refuse"/>), answered once it returns.</summary>
    public CommandValidator.Problem? Refusal { get; set; }
}

/// <summary>Marks a delivery of a command that was done before: its consumer answers, and does nothing again.</summary>
/// <param name="Entry">The journal's row.</param>
public sealed record CommandReplay(JournalEntry Entry);

/// <summary>The command pipeline's registration, and what a consumer asks of the pipeline around it.</summary>
public static class CommandPipeline
{
    /// <summary>
    /// Adds what <see cref="CommandFilter{T}"/> needs (the journal, rejections, the metrics); put the
    /// filter on an endpoint with <c>UseConsumeFilter(typeof(CommandFilter&lt;&gt;), context)</c>
    /// (<see cref="WorkerConsumers.ConfigureCommandEndpoint"/>). Needs the database and a TimeProvider.
    /// </summary>
    internal static IServiceCollection AddCommandPipeline(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<WorkerMetrics>();
        services.TryAddSingleton<CommandJournal>();
        services.TryAddSingleton<CommandRejections>();
        return services;
    }

    /// <summary>True when the command was done before (<see cref="CommandReplay"/>).</summary>
    public static bool IsReplay(this ConsumeContext context) => context?.TryGetPayload<CommandReplay>(out _) == true;

    /// <summary>
    /// Refuses the command before it took effect: once the consumer returns (it must, at once, and
    /// do nothing more), the pipeline answers <c>CommandRejected</c> naming the field, a
    /// machine-readable reason and a sentence for people (never a secret), and records it as the
    /// command's outcome (a "not now" reason, <see cref="CommandRejections.IsPermanent"/>, is not
    /// recorded). Returns the outcome name, <c>rejected</c>.
    /// </summary>
    public static string Refuse(this ConsumeContext context, string field, string reason, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.TryGetPayload<CommandOutcome>(out var outcome))
        {
            throw new InvalidOperationException("A command is refused inside the command pipeline only (CommandFilter).");
        }

        outcome.Refusal = new CommandValidator.Problem(field, reason, detail);
        return "rejected";
    }

    /// <summary>Names the outcome the delivery is counted under (e.g. <c>sent</c>).</summary>
    public static void Report(this ConsumeContext context, string outcome)
    {
        if (context?.TryGetPayload<CommandOutcome>(out var current) == true)
        {
            current.Name = outcome;
        }
    }
}
