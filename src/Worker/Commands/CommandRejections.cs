using MassTransit;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Commands;

/// <summary>
/// Answers (and logs) <see cref="CommandRejected"/>: the one way the worker refuses a command or a
/// query before it took effect. A command's rejection is published; a query's is its response.
/// It is also the one place that knows which refusals only say "not now"
/// (<see cref="IsPermanent"/>; docs/messaging.md, "One reason, one event type").
/// </summary>
public sealed partial class CommandRejections(TimeProvider time, ILogger<CommandRejections> logger)
{
    /// <summary>The account is not logged in here (yet): not now.</summary>
    public const string AccountNotReady = "ACCOUNT_NOT_READY";

    /// <summary>This worker does not own the account's shard (it is moving): not now.</summary>
    public const string ShardNotOwned = "SHARD_NOT_OWNED";

    /// <summary>Telegram did not answer a query in time: not now.</summary>
    public const string TdlibTimeout = "TDLIB_TIMEOUT";

    /// <summary>
    /// False for a refusal that only says "not now" (<see cref="AccountNotReady"/>,
    /// <see cref="ShardNotOwned"/>, and a query's <see cref="TdlibTimeout"/> or <c>FLOOD_WAIT_N</c>):
    /// it is not the command's outcome, nothing is recorded, and a retry with the same CommandId
    /// executes. Every other refusal is permanent.
    /// </summary>
    public static bool IsPermanent(string reason) =>
        reason is not (AccountNotReady or ShardNotOwned or TdlibTimeout) && !Accounts.TelegramReasons.IsFloodWait(reason);

    /// <summary>Rejects the delivery's message naming the field, a machine-readable reason and a sentence for people; returns the answer.</summary>
    public async Task<CommandRejected> RejectAsync(ConsumeContext context, CommandKind kind, Guid commandId, string? accountId, string field, string reason, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(kind);
        var rejected = new CommandRejected(commandId, accountId ?? string.Empty, kind.Name, field, reason, time.GetUtcNow())
        {
            Permanent = IsPermanent(reason),
            Detail = detail,
        };
        await AnswerAsync(context, kind, rejected);
        return rejected;
    }

    /// <summary>Sends <paramref name="rejected"/> (a new one, or one recorded earlier) as the answer to the delivery.</summary>
    public async Task AnswerAsync(ConsumeContext context, CommandKind kind, CommandRejected rejected)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(rejected);
        Log.Rejected(logger, rejected.Command, rejected.CommandId, rejected.Field, rejected.Reason);
        if (kind.IsQuery)
        {
            await context.RespondAsync(rejected);
        }
        else
        {
            await context.Publish(rejected, CancellationToken.None);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CommandRejected, Level = LogLevel.Warning, Message = "{Command} {CommandId} rejected: {Field} {Reason}")]
        internal static partial void Rejected(ILogger logger, string command, Guid commandId, string field, string reason);
    }
}
