namespace TgFleet.Worker.Sharding;

/// <summary>Why a shard's work stops.</summary>
public enum ShardStopReason
{
    /// <summary>Another worker joined: the shard moves (graceful: drain, checkpoint, then release).</summary>
    Rebalanced,

    /// <summary>This worker is shutting down (graceful: drain, checkpoint, then release).</summary>
    ShuttingDown,

    /// <summary>Renewal found the lease taken or expired: stop at once, write nothing.</summary>
    Lost,

    /// <summary>Renewal failed for too long: stop before the lease can expire, write nothing.</summary>
    Fenced,
}

/// <summary>What owning a shard means: started when a lease is won, stopped before it is given up.</summary>
public interface IShardHost
{
    /// <summary>Brings the shard's work up (its queue's endpoint, its accounts' clients).</summary>
    Task StartAsync(ShardLease lease, CancellationToken cancellationToken);

    /// <summary>
    /// Stops the shard's work. For <see cref="ShardStopReason.Rebalanced"/> and
    /// <see cref="ShardStopReason.ShuttingDown"/> it drains and checkpoints first; for
    /// <see cref="ShardStopReason.Lost"/> and <see cref="ShardStopReason.Fenced"/> it closes the
    /// clients at once (a successor may already own the shard).
    /// </summary>
    Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken);
}
