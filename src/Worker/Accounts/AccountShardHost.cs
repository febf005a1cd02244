using TgFleet.Worker.Messaging;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// Owning a shard with its accounts: restores the shard's stored sessions before its queue is
/// consumed, then resolves the sends its earlier owners left open (<see cref="SendOutcomes"/>); stops
/// consuming before its accounts stop. A graceful stop (rebalanced, shutting down) first waits for
/// the outcomes of the sends in flight, then checkpoints every ready account; a lost or fenced
/// shard is closed without writing.
/// </summary>
/// <param name="endpoints">The shard's queue consumption (<see cref="ShardEndpoints"/> in the worker).</param>
/// <param name="registry">The accounts' runtimes.</param>
/// <param name="outcomes">The outcomes of sends handed to TDLib.</param>
public sealed class AccountShardHost(IShardHost endpoints, AccountRegistry registry, SendOutcomes outcomes) : IShardHost
{
    /// <inheritdoc />
    public async Task StartAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        await registry.StartShardAsync(lease, cancellationToken);
        await endpoints.StartAsync(lease, cancellationToken);
        outcomes.StartResolving(lease);
    }

    /// <inheritdoc />
    public async Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken)
    {
        var graceful = reason is ShardStopReason.Rebalanced or ShardStopReason.ShuttingDown;
        try
        {
            await endpoints.StopAsync(lease, reason, cancellationToken);
        }
        finally
        {
            await outcomes.StopShardAsync(lease, graceful, cancellationToken);

            await registry.StopShardAsync(lease, graceful, cancellationToken);
        }
    }
}
