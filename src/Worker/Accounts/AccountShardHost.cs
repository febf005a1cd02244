using TgFleet.Worker.Sharding;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// Owning a shard with its accounts: restores the shard's stored sessions before its queue is
/// consumed, and stops consuming before its accounts stop. A graceful stop (rebalanced, shutting
/// down) checkpoints every ready account; a lost or fenced shard is closed without writing.
/// </summary>
/// <param name="endpoints">The shard's queue consumption (<see cref="ShardEndpoints"/> in the worker).</param>
/// <param name="registry">The accounts' runtimes.</param>
public sealed class AccountShardHost(IShardHost endpoints, AccountRegistry registry) : IShardHost
{
    /// <inheritdoc />
    public async Task StartAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        await registry.StartShardAsync(lease, cancellationToken);
        await endpoints.StartAsync(lease, cancellationToken);
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
            await registry.StopShardAsync(lease, graceful, cancellationToken);
        }
    }
}
