using Dapper;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Maintenance;
using TgFleet.Storage.Accounts;

namespace TgFleet.Scheduler.Cleanup;

/// <summary>
/// The recurring cleanup (the seed's TdlibSessionCleanupService, at fleet scale): deletes the
/// sessions of logged-out and banned accounts (a revoked session leaves its account logged out),
/// finished idempotency-journal rows and ended campaigns' deliveries past their retention, and
/// stale worker registrations. A session whose shard lease is live and whose account is authorized
/// is never deleted: the statement says so itself, whatever the account's status says. Counts go
/// to metrics and one <see cref="CleanupCompleted"/> event per run.
/// </summary>
public sealed class SessionCleanup(NpgsqlDataSource db, IBus bus, IOptions<CleanupOptions> options, TimeProvider time, SchedulerMetrics metrics,
    ILogger<SessionCleanup> logger)
{
    private static readonly string SessionsSql = $"""
        DELETE FROM sessions s USING accounts a
        WHERE a.account_id = s.account_id AND a.status IN ({AccountRowStatus.SqlList([AccountRowStatus.LoggedOut, AccountRowStatus.Banned])})
          AND NOT (a.status IN ({AccountRowStatus.SqlList(AccountRowStatus.LoggedIn)})
                   AND EXISTS (SELECT 1 FROM shard_leases l WHERE l.shard = s.shard AND l.owner IS NOT NULL AND l.expires_at > now()))
        """;

    private const string JournalSql = """
        DELETE FROM command_journal WHERE command_id IN (
            SELECT command_id FROM command_journal
            WHERE created_at < @Cutoff AND state IN ('succeeded', 'failed', 'unknown')
            LIMIT @Batch)
        """;

    private const string DeliveriesSql = """
        DELETE FROM campaign_deliveries WHERE delivery_id IN (
            SELECT d.delivery_id FROM campaign_deliveries d JOIN campaigns c ON c.campaign_id = d.campaign_id
            WHERE c.state IN ('completed', 'cancelled') AND c.ended_at < @Cutoff
            LIMIT @Batch)
        """;

    private const string WorkersSql = """
        DELETE FROM workers w
        WHERE w.heartbeat_at < @Cutoff AND NOT EXISTS (SELECT 1 FROM shard_leases l WHERE l.owner = w.worker_id AND l.expires_at > now())
        """;

    private readonly CleanupOptions _options = options.Value;

    /// <summary>One cleanup run.</summary>
    public async Task<CleanupCompleted> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var sessions = await conn.ExecuteAsync(new CommandDefinition(SessionsSql, cancellationToken: cancellationToken));
        var journal = await DeleteInBatchesAsync(conn, JournalSql, now - _options.JournalRetention, cancellationToken);
        var deliveries = await DeleteInBatchesAsync(conn, DeliveriesSql, now - _options.DeliveryRetention, cancellationToken);
        var workers = await conn.ExecuteAsync(new CommandDefinition(WorkersSql, new { Cutoff = now - _options.WorkerRetention }, cancellationToken: cancellationToken));
        metrics.Cleaned("session", sessions);
        metrics.Cleaned("journal", journal);
        metrics.Cleaned("delivery", deliveries);
        metrics.Cleaned("worker", workers);
        Log.CleanupRan(logger, sessions, journal, deliveries, workers);
        var completed = new CleanupCompleted(Guid.NewGuid(), sessions, journal, deliveries, workers, time.GetUtcNow());
        await bus.Publish(completed, cancellationToken);
        return completed;
    }

    private async Task<long> DeleteInBatchesAsync(NpgsqlConnection conn, string sql, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        long total = 0;
        int deleted;
        do
        {
            deleted = await conn.ExecuteAsync(new CommandDefinition(sql, new { Cutoff = cutoff, Batch = _options.BatchSize }, cancellationToken: cancellationToken));
            total += deleted;
        }
        while (deleted == _options.BatchSize && !cancellationToken.IsCancellationRequested);

        return total;
    }
}
