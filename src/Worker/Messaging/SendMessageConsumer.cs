using System.Text.Json;
using MassTransit;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Messaging;

/// <summary>
/// Executes SendMessage exactly once per command id. The journal row is moved to <c>sending</c>
/// durably before the message is handed to Telegram and to its outcome (with the event's JSON)
/// afterwards, then the outcome is published. A redelivery finds the row: a recorded outcome is
/// published again; a row left in <c>sending</c> (a crash mid-send) becomes <c>OUTCOME_UNKNOWN</c>
/// rather than risk a second send; a row still <c>accepted</c> never reached Telegram and is
/// executed.
/// </summary>
public sealed partial class SendMessageConsumer(AccountRegistry registry, CommandJournal journal, CommandRejections rejections, WorkerMetrics metrics, TimeProvider time,
    ILogger<SendMessageConsumer> logger) : IConsumer<SendMessage>
{
    private const string Command = nameof(SendMessage);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public async Task Consume(ConsumeContext<SendMessage> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = time.GetTimestamp();
        var outcome = await HandleAsync(context);
        metrics.Command(Command, outcome, time.GetElapsedTime(started));
    }

    private async Task<string> HandleAsync(ConsumeContext<SendMessage> context)
    {
        var command = context.Message;
        var ct = context.CancellationToken;
        if (CommandValidator.Validate(command) is { } problem)
        {
            await rejections.PublishAsync(context, command.CommandId, command.AccountId, Command, problem);
            return "rejected";
        }

        var entry = await journal.BeginAsync(command.CommandId, command.AccountId, Command, ct);
        switch (entry)
        {
            case { State: CommandState.Sending }:
                // A delivery before this one handed the message to Telegram and never recorded what
                // happened. Sending again could deliver it twice: report it as unknown instead.
                metrics.OutcomeUnknown();
                var unknown = new SendResult(null, new MessageFailed(command.CommandId, command.AccountId, "OUTCOME_UNKNOWN", true, time.GetUtcNow())
                {
                    Detail = "A worker stopped after handing this message to Telegram and before recording the outcome; it may or may not have been delivered. Not retried, so that it is never sent twice.",
                });
                Log.OutcomeUnknown(logger, command.CommandId, command.AccountId);
                await RecordAsync(command, CommandState.Sending, CommandState.Unknown, unknown);
                await PublishAsync(context, unknown);
                return "unknown";
            case { Outcome: { } recorded }:
                Log.Replayed(logger, command.CommandId, entry.State);
                await PublishAsync(context, JsonSerializer.Deserialize<SendResult>(recorded, Json)!);
                return "replayed";
            case { State: not CommandState.Accepted }:
                Log.Replayed(logger, command.CommandId, entry.State);
                return "replayed";
        }

        // First delivery, or one whose predecessor stopped before anything reached Telegram.
        var runtime = registry.Find(command.AccountId);
        if (runtime is null)
        {
            var reason = registry.Owns(registry.ShardOf(command.AccountId)) ? "ACCOUNT_UNKNOWN" : "SHARD_NOT_OWNED";
            var missing = new SendResult(null, new MessageFailed(command.CommandId, command.AccountId, reason, reason == "ACCOUNT_UNKNOWN", time.GetUtcNow())
            {
                Detail = reason == "ACCOUNT_UNKNOWN"
                    ? "The fleet runs no account with this id: send Authenticate first."
                    : "This worker does not own the account's shard.",
            });
            await RecordAsync(command, CommandState.Accepted, CommandState.Failed, missing);
            await PublishAsync(context, missing);
            return "failed";
        }

        var handedOver = false;
        var result = await runtime.SendAsync(command, async token =>
        {
            if (!await journal.MoveAsync(command.CommandId, CommandState.Accepted, CommandState.Sending, null, token))
            {
                throw new InvalidOperationException($"SendMessage {command.CommandId} is no longer 'accepted' in the journal; not sent.");
            }

            handedOver = true;
        }, ct);
        var to = result.Sent is not null ? CommandState.Succeeded : result.Failed!.Reason == "OUTCOME_UNKNOWN" ? CommandState.Unknown : CommandState.Failed;
        await RecordAsync(command, handedOver ? CommandState.Sending : CommandState.Accepted, to, result);
        await PublishAsync(context, result);
        return to switch
        {
            CommandState.Succeeded => "sent",
            CommandState.Unknown => "unknown",
            _ => "failed",
        };
    }

    private async Task RecordAsync(SendMessage command, CommandState from, CommandState to, SendResult result)
    {
        // Not cancellable: once Telegram has answered, the answer must be kept.
        if (!await journal.MoveAsync(command.CommandId, from, to, JsonSerializer.Serialize(result, Json), CancellationToken.None))
        {
            Log.JournalMoved(logger, command.CommandId, from, to);
        }
    }

    private static Task PublishAsync(ConsumeContext context, SendResult result) =>
        result.Sent is { } sent ? context.Publish(sent, CancellationToken.None) : context.Publish(result.Failed!, CancellationToken.None);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SendOutcomeReplayed, Level = LogLevel.Information, Message = "SendMessage {CommandId} was delivered again ({State}); its recorded outcome is published again, nothing is sent")]
        internal static partial void Replayed(ILogger logger, Guid commandId, CommandState state);

        [LoggerMessage(EventId = EventIds.SendOutcomeUnknown, Level = LogLevel.Warning, Message = "SendMessage {CommandId} of account {AccountId} was left mid-send by an earlier delivery: reported as OUTCOME_UNKNOWN, not sent again")]
        internal static partial void OutcomeUnknown(ILogger logger, Guid commandId, string accountId);

        [LoggerMessage(EventId = EventIds.CommandFailed, Level = LogLevel.Error, Message = "SendMessage {CommandId}: the journal was not in {From}, so {To} was not recorded")]
        internal static partial void JournalMoved(ILogger logger, Guid commandId, CommandState from, CommandState to);
    }
}
