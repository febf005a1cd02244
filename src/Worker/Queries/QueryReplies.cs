using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Queries;

/// <summary>
/// Answers a query that cannot be served with <see cref="CommandRejected"/> (machine-readable
/// <c>Reason</c> and <c>Field</c>) through <c>RespondAsync</c>, so a requester using
/// <c>GetResponse&lt;TAnswer, CommandRejected&gt;</c> gets a clear answer instead of a timeout.
/// </summary>
public sealed partial class QueryReplies(TimeProvider time, ILogger<QueryReplies> logger)
{
    /// <summary>Answers <see cref="CommandRejected"/> when <see cref="CommandValidator"/> finds a problem; true when it did.</summary>
    public async Task<bool> RejectIfInvalidAsync<T>(ConsumeContext<T> context, Guid commandId, string? accountId)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (CommandValidator.Validate(context.Message) is not { } problem)
        {
            return false;
        }

        await RejectAsync(context, commandId, accountId, problem.Field, problem.Reason, problem.Detail);
        return true;
    }

    /// <summary>Answers the query with <see cref="CommandRejected"/>.</summary>
    public async Task RejectAsync<T>(ConsumeContext<T> context, Guid commandId, string? accountId, string field, string reason, string detail)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = typeof(T).Name;
        Log.QueryRejected(logger, query, commandId, field, reason);
        await context.RespondAsync(new CommandRejected(commandId, accountId ?? string.Empty, query, field, reason, time.GetUtcNow()) { Detail = detail });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.QueryRejected, Level = LogLevel.Information, Message = "{Query} {CommandId} rejected: {Field} {Reason}")]
        internal static partial void QueryRejected(ILogger logger, string query, Guid commandId, string field, string reason);
    }
}
