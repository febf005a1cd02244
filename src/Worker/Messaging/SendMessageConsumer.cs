using System.Text.Json;
using MassTransit;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Messaging;

/// <summary>
/// Executes SendMessage exactly once per command id (<see cref="SendJournal"/>). Right before the
/// message is handed to Telegram, the journal row is written as <c>sending</c> durably; once TDLib
/// has the message the delivery is done, and <see cref="SendOutcomes"/> records and publishes
/// Telegram's answer. A redelivery finds the row: a recorded outcome is published again; a send in
/// flight here is left to finish; a row left in <c>sending</c> by a worker that stopped is resolved
/// (sent when the chat shows it, else <c>OUTCOME_UNKNOWN</c>), never sent again. A send that never
/// reaches Telegram records its failure at once, unless an earlier delivery's row is already there,
/// which then stands. Validation, rejections and the command metrics are the command pipeline's
/// (<see cref="CommandFilter{T}"/>).
/// </summary>
public sealed partial class SendMessageConsumer(AccountRegistry registry, SendJournal journal, SendOutcomes outcomes, CommandJournal commands,
    WorkerMetrics metrics, TimeProvider time, ILogger<SendMessageConsumer> logger) : IConsumer<SendMessage>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public async Task Consume(ConsumeContext<SendMessage> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Report(await HandleAsync(context));
    }

    private async Task<string> HandleAsync(ConsumeContext<SendMessage> context)
    {
        var command = context.Message;
        var runtime = registry.Find(command.AccountId);
        if (runtime is null)
        {
            // A refusal before execution, as for every command (docs/messaging.md, "One reason, one event type").
            return registry.Owns(registry.ShardOf(command.AccountId))
                ? context.Refuse("AccountId", "ACCOUNT_UNKNOWN", "The fleet runs no account with this id: send Authenticate first.")
                : await NotNowAsync(context, new("AccountId", CommandRejections.ShardNotOwned, "This worker does not own the account's shard."), runtime);
        }

        // One send of an account at a time reaches Telegram: its previous one's answer first.
        await outcomes.SettledAsync(runtime, context.CancellationToken);
        SendStart? start = null;
        var attempt = await runtime.Sending.SendAsync(command, async target =>
        {
            start = await journal.StartAsync(new SendRow(command.CommandId, command.AccountId, runtime.Shard, runtime.Epoch, target.ChatId, target.TextHash),
                target.RecipientUserId, JournalEntry.BodyHash(command));
            if (start is { Kind: SendStartKind.Existing, Existing.State: CommandState.Accepted }
                && await commands.MoveAsync(command.CommandId, CommandState.Accepted, CommandState.Sending, null, CancellationToken.None))
            {
                // Left 'accepted' by a worker of an earlier version, which wrote that before anything
                // else: nothing reached Telegram, so this delivery sends.
                start = new SendStart(SendStartKind.Started);
            }

            return start.Kind == SendStartKind.Started;
        }, context.CancellationToken);
        switch (start)
        {
            case null when attempt!.Rejected is { } rejected:
                // Not logged in (yet): nothing reached Telegram.
                return await NotNowAsync(context, rejected, runtime);
            case null:
                // Nothing reached Telegram (FLOOD_WAIT, unknown recipient, …).
                return await NotSentAsync(context, attempt!.Refused!, runtime);
            case { Kind: SendStartKind.OptedOut }:
                return await NotSentAsync(context, Failure(command, "RECIPIENT_OPTED_OUT", permanent: true,
                    "The recipient asked not to be messaged (STOP); no account of the fleet messages them again."), runtime);
            case { Kind: SendStartKind.Existing, Existing: { } existing }:
                return await ReplayAsync(context, existing, runtime);
            case { Kind: SendStartKind.Fenced }:
                // The shard's lease moved on while this worker was paused or cut off: not sent, and
                // not answered here; the delivery goes back to the queue for the shard's next owner.
                throw new OperationCanceledException($"Shard {runtime.Shard}'s lease epoch {runtime.Epoch} is no longer live: the command goes back to its queue.");
        }

        // TDLib has the message: the delivery is done; the outcome is recorded and published when
        // Telegram answers (SendOutcomes), and the account's next command may start.
        outcomes.Track(command, runtime, attempt!.Outcome!, context.ReceiveContext.ElapsedTime);
        return "handed_off";
    }

    /// <summary>
    /// Refuses the send for now (<see cref="CommandRejections.IsPermanent"/>): nothing is recorded, so
    /// a retry under the same id sends, unless an earlier delivery's row stands (then that is replayed).
    /// </summary>
    private async Task<string> NotNowAsync(ConsumeContext<SendMessage> context, CommandValidator.Problem refusal, AccountRuntime? runtime)
    {
        var command = context.Message;
        return await journal.FindAsync(command.CommandId, JournalEntry.BodyHash(command), context.CancellationToken) is { } earlier
            ? await ReplayAsync(context, earlier, runtime)
            : context.Refuse(refusal.Field, refusal.Reason, refusal.Detail);
    }

    /// <summary>Records the outcome of a send that never reached Telegram, or replays an earlier delivery's.</summary>
    private async Task<string> NotSentAsync(ConsumeContext<SendMessage> context, SendResult result, AccountRuntime? runtime = null)
    {
        var command = context.Message;
        if (SendOutcomes.IsRetryable(result))
        {
            // Not now (FLOOD_WAIT, PEER_FLOOD, …): nothing is recorded, unless an earlier delivery's row stands.
            return await journal.FindAsync(command.CommandId, JournalEntry.BodyHash(command), context.CancellationToken) is { } earlier
                ? await ReplayAsync(context, earlier, runtime)
                : await PublishAsync(context, result);
        }

        var state = result.Failed?.Reason == "OUTCOME_UNKNOWN" ? CommandState.Unknown : CommandState.Failed;
        return await journal.RecordAsync(command.CommandId, command.AccountId, state, JsonSerializer.Serialize(result, Json), JournalEntry.BodyHash(command)) is { } existing
            ? await ReplayAsync(context, existing, runtime)
            : await PublishAsync(context, result);
    }

    /// <summary>An earlier delivery of this command left <paramref name="entry"/>.</summary>
    private async Task<string> ReplayAsync(ConsumeContext<SendMessage> context, JournalEntry entry, AccountRuntime? runtime)
    {
        var command = context.Message;
        switch (entry)
        {
            case { SameBody: false }:
                // The same id, another body (another recipient or text): refused, as idempotency keys are.
                Log.CommandIdReused(logger, command.CommandId);
                return context.Refuse("CommandId", "COMMAND_ID_REUSED",
                    "Another command with a different body was already executed under this CommandId; nothing was sent. Give every command a new id.");
            case { Outcome: { } recorded }:
                Log.Replayed(logger, command.CommandId, entry.State);
                await PublishAsync(context, JsonSerializer.Deserialize<SendResult>(recorded, Json)!, replay: true);
                return "replayed";
            case { State: CommandState.Sending } when runtime is null || outcomes.IsInFlight(command.CommandId):
                // Handed to TDLib by an earlier delivery and still in flight here (its outcome follows),
                // or for an account this worker does not run (its shard's owner resolves it).
                Log.InFlight(logger, command.CommandId);
                return "in_flight";
            case { State: CommandState.Sending }:
                // A delivery before this one handed the message to Telegram and its worker (or client)
                // stopped before the outcome. Sending again could deliver it twice: resolve it instead.
                Log.OutcomeUnknown(logger, command.CommandId, command.AccountId);
                await outcomes.ResolveAsync(command, runtime, context.CancellationToken);
                return "resolved";
            default:
                // Another command's row under this id: this one was never executed, and must not be.
                Log.CommandIdReused(logger, command.CommandId);
                return context.Refuse("CommandId", "COMMAND_ID_REUSED",
                    "Another command was already executed under this CommandId; nothing was sent. Give every command a new id.");
        }
    }

    private SendResult Failure(SendMessage command, string reason, bool permanent, string detail) =>
        new(null, new MessageFailed(command.CommandId, command.AccountId, reason, permanent, time.GetUtcNow()) { Detail = detail });

    /// <summary>Publishes <paramref name="result"/> and counts it (a replay is not counted again).</summary>
    private async Task<string> PublishAsync(ConsumeContext context, SendResult result, bool replay = false)
    {
        if (result.Sent is { } sent)
        {
            await context.Publish(sent, CancellationToken.None);
            if (!replay)
            {
                metrics.Sent();
                metrics.SendOutcome("sent", context.ReceiveContext.ElapsedTime);
            }

            return "sent";
        }

        var failed = result.Failed!;
        await context.Publish(failed, CancellationToken.None);
        if (replay)
        {
            return "replayed";
        }

        if (failed.Reason == "OUTCOME_UNKNOWN")
        {
            metrics.OutcomeUnknown();
            metrics.SendOutcome("unknown", context.ReceiveContext.ElapsedTime);
            return "unknown";
        }

        metrics.Failed(failed.Reason);
        if (failed.Permanent)
        {
            // "Not now" (Permanent = false) is not a final outcome: the retry's outcome is recorded.
            metrics.SendOutcome("failed", context.ReceiveContext.ElapsedTime);
        }

        return "failed";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SendOutcomeReplayed, Level = LogLevel.Information, Message = "SendMessage {CommandId} was delivered again ({State}); its recorded outcome is published again, nothing is sent")]
        internal static partial void Replayed(ILogger logger, Guid commandId, CommandState state);

        [LoggerMessage(EventId = EventIds.SendOutcomeUnknown, Level = LogLevel.Warning, Message = "SendMessage {CommandId} of account {AccountId} was left mid-send by an earlier delivery: resolved from its chat, not sent again")]
        internal static partial void OutcomeUnknown(ILogger logger, Guid commandId, string accountId);

        [LoggerMessage(EventId = EventIds.CommandRejected, Level = LogLevel.Warning, Message = "SendMessage {CommandId}: another command was already executed under this id; not sent")]
        internal static partial void CommandIdReused(ILogger logger, Guid commandId);

        [LoggerMessage(EventId = EventIds.SendInFlight, Level = LogLevel.Information, Message = "SendMessage {CommandId} was delivered again while handed to Telegram: not sent again, its outcome follows")]
        internal static partial void InFlight(ILogger logger, Guid commandId);
    }
}
