using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Scheduler.Dispatch;

/// <summary>Applies MessageSent events in batches.</summary>
public sealed class MessageSentBatchConsumer(OutcomeRecorder recorder) : IConsumer<Batch<MessageSent>>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<Batch<MessageSent>> context) =>
        recorder.RecordAsync(context.Message.Select(m => SendOutcome.Sent(m.Message.CommandId)).ToList(), context.CancellationToken);
}

/// <summary>Applies MessageFailed events in batches.</summary>
public sealed class MessageFailedBatchConsumer(OutcomeRecorder recorder) : IConsumer<Batch<MessageFailed>>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<Batch<MessageFailed>> context) =>
        recorder.RecordAsync(context.Message.Select(m => new SendOutcome(m.Message.CommandId, m.Message.Reason, m.Message.Permanent, m.Message.RetryAfter)).ToList(),
            context.CancellationToken);
}

/// <summary>
/// Applies the workers' CommandRejected answers to SendMessage: a permanent one (a filled text too
/// long, an unknown account) as a permanent failure, a "not now" one (<c>Permanent = false</c>:
/// ACCOUNT_NOT_READY, SHARD_NOT_OWNED) as a retryable failure, as a MessageFailed with
/// <c>Permanent = false</c> is.
/// </summary>
public sealed class SendRejectedBatchConsumer(OutcomeRecorder recorder) : IConsumer<Batch<CommandRejected>>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<Batch<CommandRejected>> context) =>
        recorder.RecordAsync(context.Message.Where(m => m.Message.Command == nameof(SendMessage))
            .Select(m => new SendOutcome(m.Message.CommandId, m.Message.Reason, m.Message.Permanent, null)).ToList(), context.CancellationToken);
}
