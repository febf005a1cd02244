using MassTransit;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Commands;

/// <summary>Publishes (and logs) <see cref="CommandRejected"/>: the one way a command consumer refuses a command.</summary>
public sealed partial class CommandRejections(TimeProvider time, ILogger<CommandRejections> logger)
{
    /// <summary>Rejects <paramref name="command"/> naming the field, a machine-readable reason and a sentence for people.</summary>
    public Task PublishAsync(ConsumeContext context, Guid commandId, string? accountId, string command, string field, string reason, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        Log.Rejected(logger, command, commandId, field, reason);
        return context.Publish(new CommandRejected(commandId, accountId ?? string.Empty, command, field, reason, time.GetUtcNow()) { Detail = detail }, context.CancellationToken);
    }

    /// <summary>Rejects an invalid command with <paramref name="problem"/> from <see cref="CommandValidator"/>.</summary>
    public Task PublishAsync(ConsumeContext context, Guid commandId, string? accountId, string command, CommandValidator.Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return PublishAsync(context, commandId, accountId, command, problem.Field, problem.Reason, problem.Detail);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CommandRejected, Level = LogLevel.Warning, Message = "{Command} {CommandId} rejected: {Field} {Reason}")]
        internal static partial void Rejected(ILogger logger, string command, Guid commandId, string field, string reason);
    }
}
