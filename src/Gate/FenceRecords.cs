using Dapper;
using Npgsql;

namespace TgFleet.Gate;

/// <summary>A lease epoch whose connections are all closed, as the gate reports it.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Epoch">The epoch.</param>
/// <param name="Connections">How many connections the gate carried for it.</param>
internal sealed record ClosedEpoch(int Shard, long Epoch, int Connections);

/// <summary>
/// Records in PostgreSQL that every connection of a lease epoch is closed: the lease row's
/// <c>closed_epoch</c> (what a successor reads) and a <c>lease_fences</c> row (for operators).
/// Only once the lease is over: expired by the database clock, released, or taken by another
/// epoch. Written in the same row update a renewal would have to win, so an epoch recorded closed
/// can never be renewed (migration 0020).
/// </summary>
internal sealed class FenceRecords(NpgsqlDataSource db, string workerId)
{
    private const string RecordSql = """
        WITH input AS (SELECT * FROM unnest(@Shards, @Epochs, @Connections) AS i(shard, epoch, connections)),
        fenced AS (
            UPDATE shard_leases l SET closed_epoch = i.epoch
            FROM input i
            WHERE l.shard = i.shard AND l.closed_epoch < i.epoch
              AND (l.epoch > i.epoch OR l.owner IS DISTINCT FROM @WorkerId OR l.expires_at <= clock_timestamp())
            RETURNING l.shard, i.epoch, i.connections),
        logged AS (
            INSERT INTO lease_fences (shard, epoch, worker_id, connections)
            SELECT shard, epoch, @WorkerId, connections FROM fenced ON CONFLICT DO NOTHING)
        SELECT i.shard, i.epoch FROM input i JOIN shard_leases l ON l.shard = i.shard
        WHERE l.closed_epoch >= i.epoch OR EXISTS (SELECT 1 FROM fenced f WHERE f.shard = i.shard AND f.epoch = i.epoch)
        """;

    /// <summary>Records what can be recorded; returns the epochs now known closed (a lease still live is not).</summary>
    public async Task<IReadOnlyList<(int Shard, long Epoch)>> RecordAsync(IReadOnlyCollection<ClosedEpoch> closed, CancellationToken cancellationToken)
    {
        if (closed.Count == 0)
        {
            return [];
        }

        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var done = await conn.QueryAsync<(int Shard, long Epoch)>(new CommandDefinition(RecordSql, new
        {
            WorkerId = workerId,
            Shards = closed.Select(c => c.Shard).ToArray(),
            Epochs = closed.Select(c => c.Epoch).ToArray(),
            Connections = closed.Select(c => c.Connections).ToArray(),
        }, cancellationToken: cancellationToken));
        return done.AsList();
    }
}
