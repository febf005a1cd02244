using Dapper;
using Npgsql;

namespace TgFleet.Worker.Sharding;

/// <summary>Leases and heartbeats in PostgreSQL; expiry is judged by the database clock.</summary>
public sealed class ShardLeaseStore(NpgsqlDataSource db)
{
    private const string EnsureShardsSql = """
        INSERT INTO shard_leases (shard) SELECT generate_series(0, @Count - 1) ON CONFLICT DO NOTHING
        """;

    private const string HeartbeatSql = """
        INSERT INTO workers (worker_id, heartbeat_at, draining) VALUES (@WorkerId, now(), @Draining)
        ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now(), draining = @Draining;
        DELETE FROM workers WHERE heartbeat_at < now() - @Forget;
        SELECT worker_id FROM workers WHERE heartbeat_at > now() - @Ttl AND NOT draining ORDER BY worker_id;
        """;

    // SET reads the row as it was: taken_from is the owner of an EXPIRED lease (NULL after a release).
    private const string AcquireSql = """
        UPDATE shard_leases SET owner = @WorkerId, epoch = epoch + 1, expires_at = now() + @Ttl,
            taken_from = owner, previous_expired_at = expires_at
        WHERE shard = ANY(@Shards) AND (owner IS NULL OR expires_at <= now())
        RETURNING shard, epoch, taken_from IS NULL OR closed_epoch >= epoch - 1 AS Safe,
            CASE WHEN taken_from IS NULL THEN 0
                 ELSE GREATEST(0, EXTRACT(EPOCH FROM previous_expired_at + @DisconnectDelay - now()))::float8 END AS WaitSeconds
        """;

    private const string ClosedSql = """
        SELECT shard FROM shard_leases WHERE shard = ANY(@Shards) AND owner = @WorkerId AND closed_epoch >= epoch - 1
        """;

    private const string RenewSql = """
        UPDATE shard_leases l SET expires_at = now() + @Ttl
        FROM unnest(@Shards, @Epochs) AS held(shard, epoch)
        WHERE l.shard = held.shard AND l.epoch = held.epoch AND l.owner = @WorkerId AND l.expires_at > now()
          AND l.closed_epoch < l.epoch
        RETURNING l.shard
        """;

    private const string ReleaseSql = """
        UPDATE shard_leases SET owner = NULL, expires_at = '-infinity'
        WHERE shard = @Shard AND epoch = @Epoch AND owner = @WorkerId
        """;

    private const string LeaveSql = "DELETE FROM workers WHERE worker_id = @WorkerId";

    private const string FreeShardsSql = """
        SELECT shard FROM shard_leases WHERE shard < @Count AND (owner IS NULL OR expires_at <= now()) ORDER BY shard
        """;

    /// <summary>Creates the lease rows of shards 0 … <paramref name="count"/> − 1 that do not exist yet.</summary>
    public async Task EnsureShardsAsync(int count, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(EnsureShardsSql, new { Count = count }, cancellationToken: cancellationToken));
    }

    /// <summary>Records that <paramref name="workerId"/> lives; returns the live, non-draining workers.</summary>
    public async Task<IReadOnlyList<string>> HeartbeatAsync(string workerId, bool draining, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var live = await conn.QueryAsync<string>(new CommandDefinition(HeartbeatSql,
            new { WorkerId = workerId, Draining = draining, Ttl = ttl, Forget = ttl * 20 }, cancellationToken: cancellationToken));
        return live.AsList();
    }

    /// <summary>The shards nobody holds a live lease on.</summary>
    public async Task<IReadOnlyList<int>> FreeShardsAsync(int count, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return (await conn.QueryAsync<int>(new CommandDefinition(FreeShardsSql, new { Count = count }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Takes those of <paramref name="shards"/> that are free; returns the leases won, each with
    /// whether its accounts may start at once (the previous lease was released, or its epoch's
    /// connections are recorded closed by the previous owner's gate) and otherwise how long to wait
    /// for Telegram to have dropped the previous owner's connections (<paramref name="disconnectDelay"/>
    /// after the previous lease expired; docs/fencing.md).
    /// </summary>
    public async Task<IReadOnlyList<AcquiredLease>> AcquireAsync(string workerId, IReadOnlyCollection<int> shards, TimeSpan ttl, TimeSpan disconnectDelay,
        CancellationToken cancellationToken)
    {
        if (shards.Count == 0)
        {
            return [];
        }

        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var won = await conn.QueryAsync<(int Shard, long Epoch, bool Safe, double WaitSeconds)>(new CommandDefinition(AcquireSql,
            new { WorkerId = workerId, Shards = shards.ToArray(), Ttl = ttl, DisconnectDelay = disconnectDelay }, cancellationToken: cancellationToken));
        return won.Select(w => new AcquiredLease(new ShardLease(w.Shard, w.Epoch), w.Safe ? TimeSpan.Zero : TimeSpan.FromSeconds(w.WaitSeconds), !w.Safe))
            .OrderBy(l => l.Lease.Shard).ToList();
    }

    /// <summary>Those of <paramref name="shards"/> (held by <paramref name="workerId"/>) whose previous epoch is now recorded closed.</summary>
    public async Task<IReadOnlySet<int>> PreviousClosedAsync(string workerId, IReadOnlyCollection<int> shards, CancellationToken cancellationToken)
    {
        if (shards.Count == 0)
        {
            return new HashSet<int>();
        }

        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return (await conn.QueryAsync<int>(new CommandDefinition(ClosedSql, new { WorkerId = workerId, Shards = shards.ToArray() },
            cancellationToken: cancellationToken))).ToHashSet();
    }

    /// <summary>Extends the leases still held; returns the shards renewed (a missing one was lost).</summary>
    public async Task<IReadOnlySet<int>> RenewAsync(string workerId, IReadOnlyCollection<ShardLease> leases, TimeSpan ttl, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (leases.Count == 0)
        {
            return new HashSet<int>();
        }

        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var renewed = await conn.QueryAsync<int>(new CommandDefinition(RenewSql,
            new { WorkerId = workerId, Shards = leases.Select(l => l.Shard).ToArray(), Epochs = leases.Select(l => l.Epoch).ToArray(), Ttl = ttl },
            commandTimeout: Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)), cancellationToken: cancellationToken));
        return renewed.ToHashSet();
    }

    /// <summary>Gives a lease back at once (after its shard stopped), so a successor need not wait for expiry.</summary>
    public async Task ReleaseAsync(string workerId, ShardLease lease, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(ReleaseSql, new { WorkerId = workerId, lease.Shard, lease.Epoch }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes the worker's heartbeat (it is leaving).</summary>
    public async Task LeaveAsync(string workerId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(LeaveSql, new { WorkerId = workerId }, cancellationToken: cancellationToken));
    }
}
