using System.CommandLine;
using System.Globalization;
using Dapper;
using Spectre.Console;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Cli.Fleet;

/// <summary>
/// <c>tgfleet shards</c> and <c>tgfleet workers</c>: who owns what. The fleet has no query for
/// these, so they read its PostgreSQL (<c>shard_leases</c>, <c>workers</c>, <c>accounts</c>).
/// </summary>
public static class FleetViews
{
    private const string ShardsSql = """
        SELECT l.shard AS Shard, l.owner AS Owner, l.epoch AS Epoch, (l.owner IS NOT NULL AND l.expires_at > now()) AS Live,
               extract(epoch FROM now() - l.acquired_at)::float8 AS HeldSeconds,
               extract(epoch FROM now() - l.renewed_at)::float8 AS RenewedSecondsAgo,
               CASE WHEN l.expires_at > now() THEN extract(epoch FROM l.expires_at - now())::float8 END AS ExpiresInSeconds,
               (SELECT count(*) FROM accounts a WHERE a.shard = l.shard) AS Accounts
        FROM shard_leases l
        ORDER BY l.shard
        """;

    private const string WorkersSql = """
        SELECT w.worker_id AS WorkerId, w.started_at AS StartedAt, extract(epoch FROM now() - w.heartbeat_at)::float8 AS HeartbeatSecondsAgo,
               w.draining AS Draining,
               (SELECT count(*) FROM shard_leases l WHERE l.owner = w.worker_id AND l.expires_at > now()) AS Shards,
               (SELECT count(*) FROM accounts a JOIN shard_leases l ON l.shard = a.shard
                WHERE l.owner = w.worker_id AND l.expires_at > now()) AS Accounts
        FROM workers w
        ORDER BY w.worker_id
        """;

    public static Command Shards(GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var command = new Command("shards", "Each shard's owner, lease epoch and lease age, and its accounts (reads PostgreSQL)");
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            var shards = await ReadShardsAsync(context, cancellationToken);
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(shards);
                return ExitCodes.Ok;
            }

            var table = output.Table("SHARD", "OWNER", "EPOCH", "HELD", "RENEWED", "EXPIRES IN", "ACCOUNTS");
            foreach (var s in shards)
            {
                table.AddRow(ShardAddressing.QueueName(s.Shard), s.Live ? Markup.Escape(s.Owner ?? string.Empty) : "(none)", Number(s.Epoch),
                    Age(s.Live ? s.HeldSeconds : null), Age(s.Live ? s.RenewedSecondsAgo : null, " ago"), Age(s.ExpiresInSeconds), Number(s.Accounts));
            }

            output.Write(table);
            output.Line($"{shards.Count(s => s.Live)} of {shards.Count} shards owned");
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command Workers(GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var command = new Command("workers", "The workers that heartbeat, their shards and accounts (reads PostgreSQL)");
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            await using var db = await context.OpenDatabaseAsync(cancellationToken);
            await using var conn = await db.OpenConnectionAsync(cancellationToken);
            var workers = (await conn.QueryAsync<WorkerView>(new CommandDefinition(WorkersSql, cancellationToken: cancellationToken))).ToList();
            var output = context.Output;
            if (output.Json)
            {
                output.WriteJson(workers);
                return ExitCodes.Ok;
            }

            var table = output.Table("WORKER", "STARTED", "HEARTBEAT", "STATE", "SHARDS", "ACCOUNTS");
            foreach (var w in workers)
            {
                table.AddRow(Markup.Escape(w.WorkerId), w.StartedAt.ToString("u", CultureInfo.InvariantCulture), Age(w.HeartbeatSecondsAgo, " ago"),
                    w.Draining ? "draining" : "running", Number(w.Shards), Number(w.Accounts));
            }

            output.Write(table);
            output.Line($"{workers.Count} worker(s)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Every shard's lease as the database has it now.</summary>
    public static async Task<List<ShardView>> ReadShardsAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var db = await context.OpenDatabaseAsync(cancellationToken);
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return (await conn.QueryAsync<ShardView>(new CommandDefinition(ShardsSql, cancellationToken: cancellationToken))).ToList();
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Age(double? seconds, string suffix = "") => seconds switch
    {
        null => "-",
        < 60 => $"{seconds:0.0} s{suffix}",
        < 3600 => $"{seconds / 60:0.0} min{suffix}",
        _ => $"{seconds / 3600:0.0} h{suffix}",
    };
}

/// <summary>A shard's lease (<c>tgfleet shards --json</c>).</summary>
public sealed record ShardView(int Shard, string? Owner, long Epoch, bool Live, double? HeldSeconds, double? RenewedSecondsAgo, double? ExpiresInSeconds, long Accounts);

/// <summary>A worker (<c>tgfleet workers --json</c>).</summary>
public sealed record WorkerView(string WorkerId, DateTime StartedAt, double HeartbeatSecondsAgo, bool Draining, long Shards, long Accounts);
