namespace TgFleet.Worker.Accounts;

/// <summary>
/// Reports one account's events and records (<see cref="IAccountEvents"/>, <see cref="AccountStore"/>)
/// without letting a failed report stop what the account does: the failure is logged.
/// </summary>
internal sealed partial class AccountEventReporter(string accountId, IAccountEvents events, ILogger logger)
{
    /// <summary>Publishes <paramref name="message"/>; a failure is logged, not thrown.</summary>
    public Task PublishAsync<T>(T message, CancellationToken cancellationToken)
        where T : class =>
        SafelyAsync(() => events.PublishAsync(message, cancellationToken));

    /// <summary>Runs <paramref name="action"/>; a failure is logged, not thrown.</summary>
    public async Task SafelyAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.ObserverFailed(logger, accountId, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ObserverFailed, Level = LogLevel.Error, Message = "Account {AccountId}: reporting an event failed")]
        internal static partial void ObserverFailed(ILogger logger, string accountId, Exception error);
    }
}
