using MassTransit;

namespace TgFleet.Contracts.Addressing;

/// <summary>Sends a command to its account's shard queue in one call.</summary>
public static class ShardSending
{
    /// <summary>
    /// Sends <paramref name="command"/> to the shard exchange of its account
    /// (<c>exchange:tgfleet.shard.NNN</c>, bound by the workers to the shard's quorum queue of the
    /// same name). The shard count must be the fleet's (default 64).
    /// </summary>
    public static async Task SendToShard<T>(this ISendEndpointProvider provider, T command, int shardCount = ShardAddressing.DefaultShardCount,
        CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(command);
        var endpoint = await provider.GetSendEndpoint(ShardAddress(AccountIdOf(command), shardCount));
        await endpoint.Send(command, cancellationToken);
    }

    /// <summary>
    /// The send address of <paramref name="accountId"/>'s shard. An exchange, not <c>queue:</c>:
    /// a <c>queue:</c> send would declare a classic queue, which RabbitMQ refuses once the shard's
    /// quorum queue exists (inequivalent x-queue-type).
    /// </summary>
    public static Uri ShardAddress(string accountId, int shardCount = ShardAddressing.DefaultShardCount) =>
        new("exchange:" + ShardAddressing.QueueNameOf(accountId, shardCount));

    /// <summary>
    /// Every message type that goes to its account's shard queue (commands and per-account
    /// queries), from <see cref="PerAccountMessages"/>.
    /// </summary>
    public static IReadOnlyList<Type> PerAccountTypes { get; } = [.. PerAccountMessages.All.Select(m => m.Type)];

    /// <summary>The account a command addresses; throws for a message that is not a per-account command.</summary>
    public static string AccountIdOf(object command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return PerAccountMessages.Find(command.GetType()) is { } entry
            ? entry.AccountIdOf(command)
            : throw new ArgumentException($"{command.GetType().Name} is not a per-account command; it has no shard.", nameof(command));
    }
}
