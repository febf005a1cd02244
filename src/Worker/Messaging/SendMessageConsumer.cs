using System.Text.Json;
using MassTransit;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Messaging;

/// <summary>
/// Executes SendMessage exactly once per command id (<see cref="SendJournal"/>). Right before the
/// message is handed to Telegram, the journal row is written as <c>sending</c> durably; after
/// Telegram's answer it moves to the outcome (with the event's JSON), then the outcome is
/// published. A redelivery finds the row: a recorded outcome is published again; a row left in
/// <c>sending</c> (a crash mid-send) becomes <c>OUTCOME_UNKNOWN</c> rather than risk a second send.
/// A send that never reaches Telegram records its failure at once, unless an earlier delivery's row
/// is already there, which then stands. Validation, rejections and the command metrics are the
/// command pipeline's (<see cref="CommandFilter{T}"/>).
/// </summary>
public sealed partial class SendMessageConsumer(AccountRegistry registry, SendJournal journal, CommandJournal commands, WorkerMetrics metrics, TimeProvider time,
    ILogger<SendMessageConsumer> logger) : IConsumer<SendMessage>
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
            // A refusal before execution, as for every command (docs/messaging.md, "One reason, one event").
            return registry.Owns(registry.ShardOf(command.AccountId))
                ? context.Refuse("AccountId", "ACCOUNT_UNKNOWN", "The fleet runs no account with this id: send Authenticate first.")
                : await NotSentAsync(context, Failure(command, "SHARD_NOT_OWNED", permanent: false, "This worker does not own the account's shard."));
        }

        SendStart? start = null;
        var result = await runtime.SendAsync(command, async recipientUserId =>
        {
            start = await journal.StartAsync(command.CommandId, command.AccountId, recipientUserId, JournalEntry.BodyHash(command));
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
            case null:
                // Nothing reached Telegram (not ready, FLOOD_WAIT, unknown recipient, …).
                return await NotSentAsync(context, result!);
            case { Kind: SendStartKind.OptedOut }:
                return await NotSentAsync(context, Failure(command, "RECIPIENT_OPTED_OUT", permanent: true,
                    "The recipient asked not to be messaged (STOP); no account of the fleet messages them again."));
            case { Kind: SendStartKind.Existing, Existing: { } existing }:
                return await ReplayAsync(context, existing);
        }

        if (IsRetryable(result!))
        {
            // Telegram refused it unsent, for now (FLOOD_WAIT, PEER_FLOOD, …): not a final outcome,
            // so a retry under this command id sends it.
            await KeepTryingAsync(() => journal.ForgetAsync(command.CommandId), context.CancellationToken);
            return await PublishAsync(context, result!);
        }

        var to = result!.Sent is not null ? CommandState.Succeeded : result.Failed!.Reason == "OUTCOME_UNKNOWN" ? CommandState.Unknown : CommandState.Failed;
        // Once Telegram has answered, the answer is kept: the write is retried through database
        // outages until it is recorded (or the shard stops: its next owner resolves the row).
        if (!await KeepTryingAsync(() => journal.FinishAsync(command.CommandId, to, JsonSerializer.Serialize(result, Json)), context.CancellationToken))
        {
            Log.JournalMoved(logger, command.CommandId, CommandState.Sending, to);
        }

        return await PublishAsync(context, result);
    }

    /// <summary>A failure that never reached the recipient and is not final: a retry with the same id executes (docs/messaging.md).</summary>
    private static bool IsRetryable(SendResult result) => result.Failed is { Permanent: false } failed && failed.Reason != "OUTCOME_UNKNOWN";

    /// <summary>Runs a journal write again after each infrastructure failure, with backoff, until it completes or <paramref name="cancellationToken"/> ends.</summary>
    private async Task KeepTryingAsync(Func<Task> write, CancellationToken cancellationToken) =>
        await KeepTryingAsync(async () =>
        {
            await write();
            return true;
        }, cancellationToken);

    private async Task<TResult> KeepTryingAsync<TResult>(Func<Task<TResult>> write, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await write();
            }
            catch (Exception e) when (TransientFailure.Is(e) && !cancellationToken.IsCancellationRequested)
            {
                Log.JournalWriteRetried(logger, e.GetType().Name, e.Message, backoff);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = backoff < TimeSpan.FromSeconds(5) ? backoff * 2 : backoff;
            }
        }
    }

    /// <summary>Records the outcome of a send that never reached Telegram, or replays an earlier delivery's.</summary>
    private async Task<string> NotSentAsync(ConsumeContext<SendMessage> context, SendResult result)
    {
        var command = context.Message;
        if (IsRetryable(result))
        {
            // Not now (not ready, FLOOD_WAIT, …): nothing is recorded, unless an earlier delivery's row stands.
            return await journal.FindAsync(command.CommandId, JournalEntry.BodyHash(command), context.CancellationToken) is { } earlier
                ? await ReplayAsync(context, earlier)
                : await PublishAsync(context, result);
        }

        var state = result.Failed?.Reason == "OUTCOME_UNKNOWN" ? CommandState.Unknown : CommandState.Failed;
        return await journal.RecordAsync(command.CommandId, command.AccountId, state, JsonSerializer.Serialize(result, Json), JournalEntry.BodyHash(command)) is { } existing
            ? await ReplayAsync(context, existing)
            : await PublishAsync(context, result);
    }

    /// <summary>An earlier delivery of this command left <paramref name="entry"/>.</summary>
    private async Task<string> ReplayAsync(ConsumeContext<SendMessage> context, JournalEntry entry)
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
            case { State: CommandState.Sending }:
                // A delivery before this one handed the message to Telegram and never recorded what
                // happened. Sending again could deliver it twice: report it as unknown instead.
                Log.OutcomeUnknown(logger, command.CommandId, command.AccountId);
                var unknown = Failure(command, "OUTCOME_UNKNOWN", permanent: true,
                    "A worker stopped after handing this message to Telegram and before recording the outcome; it may or may not have been delivered. Not retried, so that it is never sent twice.");
                if (!await journal.FinishAsync(command.CommandId, CommandState.Unknown, JsonSerializer.Serialize(unknown, Json)))
                {
                    Log.JournalMoved(logger, command.CommandId, CommandState.Sending, CommandState.Unknown);
                }

                return await PublishAsync(context, unknown);
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

        [LoggerMessage(EventId = EventIds.SendOutcomeUnknown, Level = LogLevel.Warning, Message = "SendMessage {CommandId} of account {AccountId} was left mid-send by an earlier delivery: reported as OUTCOME_UNKNOWN, not sent again")]
        internal static partial void OutcomeUnknown(ILogger logger, Guid commandId, string accountId);

        [LoggerMessage(EventId = EventIds.CommandRejected, Level = LogLevel.Warning, Message = "SendMessage {CommandId}: another command was already executed under this id; not sent")]
        internal static partial void CommandIdReused(ILogger logger, Guid commandId);

        [LoggerMessage(EventId = EventIds.CommandRetried, Level = LogLevel.Warning, Message = "A send's journal write met an infrastructure failure ({Error}: {Detail}); retried in {Delay}")]
        internal static partial void JournalWriteRetried(ILogger logger, string error, string detail, TimeSpan delay);

        [LoggerMessage(EventId = EventIds.CommandFailed, Level = LogLevel.Error, Message = "SendMessage {CommandId}: the journal was not in {From}, so {To} was not recorded")]
        internal static partial void JournalMoved(ILogger logger, Guid commandId, CommandState from, CommandState to);
    }
}
