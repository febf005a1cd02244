using System.Diagnostics.Metrics;
using Dapper;
using Npgsql;

namespace TgFleet.Worker.Sessions;

/// <summary>An encrypted session as stored.</summary>
/// <param name="AccountId">The account.</param>
/// <param name="Shard">Its shard.</param>
/// <param name="Epoch">The lease epoch it was written under.</param>
/// <param name="KeyId">The key that encrypted it.</param>
/// <param name="Blob">The encrypted archive.</param>
public sealed record StoredSession(string AccountId, int Shard, long Epoch, string KeyId, byte[] Blob);

/// <summary>
/// Sessions in PostgreSQL. Every write carries the writer's lease epoch; the database refuses a
/// write whose epoch is not the shard's live lease (0003_sessions.sql), so a stale owner cannot
/// overwrite its successor's session.
/// </summary>
public sealed class SessionStore(NpgsqlDataSource db, IMeterFactory? meters = null)
{
    /// <summary>The SQLSTATE the database raises for a stale-epoch write.</summary>
    public const string StaleEpochSqlState = "TGF01";

    private const string SaveSql = """
        INSERT INTO sessions (account_id, shard, epoch, key_id, blob)
        VALUES (@AccountId, @Shard, @Epoch, @KeyId, @Blob)
        ON CONFLICT (account_id) DO UPDATE
            SET shard = excluded.shard, epoch = excluded.epoch, key_id = excluded.key_id, blob = excluded.blob
        """;

    private const string LoadSql = "SELECT account_id, shard, epoch, key_id, blob FROM sessions WHERE account_id = @AccountId";

    private const string DeleteSql = "DELETE FROM sessions WHERE account_id = @AccountId";

    /// <summary>The checkpoint and restore counters.</summary>
    public SessionMetrics Metrics { get; } = new(meters);

    /// <summary>Saves the session; returns false (and writes nothing) when the epoch is stale.</summary>
    public async Task<bool> SaveAsync(StoredSession session, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            await conn.ExecuteAsync(new CommandDefinition(SaveSql, session, cancellationToken: cancellationToken));
            Metrics.Checkpoint("written");
            return true;
        }
        catch (PostgresException e) when (e.SqlState == StaleEpochSqlState)
        {
            Metrics.Checkpoint("stale");
            return false;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            Metrics.Checkpoint("failed");
            throw;
        }
    }

    /// <summary>The stored session of <paramref name="accountId"/>, or null.</summary>
    public async Task<StoredSession?> LoadAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var row = await conn.QuerySingleOrDefaultAsync<(string AccountId, int Shard, long Epoch, string KeyId, byte[] Blob)?>(
            new CommandDefinition(LoadSql, new { AccountId = accountId }, cancellationToken: cancellationToken));
        return row is { } r ? new StoredSession(r.AccountId, r.Shard, r.Epoch, r.KeyId, r.Blob) : null;
    }

    /// <summary>Deletes the session (after a log-out).</summary>
    public async Task DeleteAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(DeleteSql, new { AccountId = accountId }, cancellationToken: cancellationToken));
    }
}
