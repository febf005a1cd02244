using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>What became of one recipient batch (also what a redelivered batch answers again).</summary>
public sealed record ImportResult(int Accepted, int Duplicates, IReadOnlyList<RecipientRejection> Rejected, int RejectedCount);

/// <summary>Why a batch was not imported at all.</summary>
public enum ImportRefusal
{
    /// <summary>It was imported.</summary>
    None,

    /// <summary>The campaign does not exist (yet).</summary>
    CampaignUnknown,

    /// <summary>The campaign has ended.</summary>
    CampaignEnded,
}

/// <summary>
/// Imports recipient batches set-based: the batch's valid, distinct recipients go into a temporary
/// staging table by Npgsql's binary COPY, then one statement inserts them into
/// <c>campaign_deliveries</c>, dropping those the campaign has already (the unique index decides),
/// and counts them onto the campaign.
/// The batch id is recorded in the same transaction, so a redelivered batch adds nothing.
/// </summary>
public sealed class RecipientImport(NpgsqlDataSource db)
{
    /// <summary>Rejections listed in the answer at most (all are counted).</summary>
    public const int ListedRejections = 100;

    private const string StateSql = "SELECT state AS State, start_at AS StartAt FROM campaigns WHERE campaign_id = @CampaignId";

    private const string RecordedSql = """
        SELECT accepted AS Accepted, duplicates AS Duplicates, rejected_count AS RejectedCount, rejected::text AS Rejected
        FROM campaign_batches WHERE batch_id = @BatchId
        """;

    private const string ClaimBatchSql = """
        INSERT INTO campaign_batches (batch_id, campaign_id, command_id, accepted, duplicates, rejected_count, rejected, created_at)
        VALUES (@BatchId, @CampaignId, @CommandId, 0, 0, 0, '[]', @Now)
        ON CONFLICT (batch_id) DO NOTHING
        """;

    private const string StagingSql = """
        CREATE TEMP TABLE IF NOT EXISTS recipient_staging (ord integer, kind smallint, value text, variables jsonb) ON COMMIT DELETE ROWS
        """;

    private const string CopySql = "COPY recipient_staging (ord, kind, value, variables) FROM STDIN (FORMAT BINARY)";

    // The staging rows are the batch's distinct recipients, in one order every batch uses (so concurrent
    // imports wait on each other's new rows in the same order and never deadlock); ON CONFLICT drops
    // those of earlier batches.
    private const string InsertSql = """
        WITH inserted AS (
            INSERT INTO campaign_deliveries (campaign_id, recipient_kind, recipient_value, variables, due_at)
            SELECT @CampaignId, kind, value, variables, @DueAt
            FROM recipient_staging ORDER BY ord
            ON CONFLICT (campaign_id, recipient_kind, recipient_value) DO NOTHING
            RETURNING 1)
        UPDATE campaigns SET total = total + (SELECT count(*) FROM inserted), pending = pending + (SELECT count(*) FROM inserted), last_batch_at = @Now
        WHERE campaign_id = @CampaignId AND state IN ('scheduled', 'running', 'paused')
        RETURNING (SELECT count(*) FROM inserted)::integer
        """;

    private const string RecordSql = """
        UPDATE campaign_batches SET accepted = @Accepted, duplicates = @Duplicates, rejected_count = @RejectedCount, rejected = @Rejected::jsonb
        WHERE batch_id = @BatchId
        """;

    /// <summary>Imports <paramref name="command"/>'s recipients, or says why the batch was refused.</summary>
    public async Task<(ImportRefusal Refusal, ImportResult? Result)> ImportAsync(AddCampaignRecipients command, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var found = await conn.QuerySingleOrDefaultAsync<(string? State, DateTime StartAt)>(new CommandDefinition(StateSql, new { command.CampaignId },
            cancellationToken: cancellationToken));
        if (found.State is null)
        {
            return (ImportRefusal.CampaignUnknown, null);
        }

        if (await RecordedAsync(conn, command.BatchId, cancellationToken) is { } recorded)
        {
            return (ImportRefusal.None, recorded);
        }

        if (found.State is CampaignStates.Completed or CampaignStates.Cancelled)
        {
            return (ImportRefusal.CampaignEnded, null);
        }

        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        if (await conn.ExecuteAsync(new CommandDefinition(ClaimBatchSql, new { command.BatchId, command.CampaignId, command.CommandId, Now = now }, tx,
                cancellationToken: cancellationToken)) == 0)
        {
            // Another replica imported the same batch meanwhile.
            await tx.RollbackAsync(cancellationToken);
            return (ImportRefusal.None, await RecordedAsync(conn, command.BatchId, cancellationToken));
        }

        await conn.ExecuteAsync(new CommandDefinition(StagingSql, transaction: tx, cancellationToken: cancellationToken));
        var (distinct, duplicates, rejected, rejectedCount) = Distinct(command.Recipients);
        await using (var writer = await conn.BeginBinaryImportAsync(CopySql, cancellationToken))
        {
            for (var i = 0; i < distinct.Length; i++)
            {
                var (normalized, variables) = distinct[i];
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync((short)normalized.Kind, NpgsqlDbType.Smallint, cancellationToken);
                await writer.WriteAsync(normalized.Value, NpgsqlDbType.Text, cancellationToken);
                if (variables is { Count: > 0 })
                {
                    await writer.WriteAsync(JsonSerializer.Serialize(variables), NpgsqlDbType.Jsonb, cancellationToken);
                }
                else
                {
                    await writer.WriteNullAsync(cancellationToken);
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        var accepted = await conn.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(InsertSql,
            new { command.CampaignId, DueAt = CampaignRow.Utc(found.StartAt), Now = now }, tx, cancellationToken: cancellationToken));
        if (accepted is not { } count)
        {
            // Cancelled or completed while importing.
            await tx.RollbackAsync(cancellationToken);
            return (ImportRefusal.CampaignEnded, null);
        }

        var result = new ImportResult(count, duplicates + distinct.Length - count, rejected, rejectedCount);
        await conn.ExecuteAsync(new CommandDefinition(RecordSql, new
        {
            command.BatchId,
            result.Accepted,
            result.Duplicates,
            result.RejectedCount,
            Rejected = JsonSerializer.Serialize(rejected),
        }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return (ImportRefusal.None, result);
    }

    /// <summary>
    /// The batch's valid recipients without its own duplicates (the first of each stays), ordered by
    /// kind and value (ordinal); how many duplicates were dropped; the rejected ones.
    /// </summary>
    private static ((NormalizedRecipient Recipient, IReadOnlyDictionary<string, string>? Variables)[] Distinct, int Duplicates,
        List<RecipientRejection> Rejected, int RejectedCount) Distinct(IReadOnlyList<CampaignRecipient> recipients)
    {
        var seen = new HashSet<NormalizedRecipient>(recipients.Count);
        var distinct = new List<(NormalizedRecipient Recipient, IReadOnlyDictionary<string, string>? Variables)>(recipients.Count);
        var rejected = new List<RecipientRejection>();
        var (duplicates, rejectedCount) = (0, 0);
        for (var i = 0; i < recipients.Count; i++)
        {
            var (normalized, problem) = CampaignValidation.Normalize(recipients[i]);
            if (problem is not null)
            {
                rejectedCount++;
                if (rejected.Count < ListedRejections)
                {
                    rejected.Add(new RecipientRejection(i, problem.Field, problem.Reason));
                }
            }
            else if (seen.Add(normalized))
            {
                distinct.Add((normalized, recipients[i].Variables));
            }
            else
            {
                duplicates++;
            }
        }

        var ordered = distinct.ToArray();
        Array.Sort(ordered, static (a, b) => a.Recipient.Kind != b.Recipient.Kind
            ? a.Recipient.Kind.CompareTo(b.Recipient.Kind)
            : string.CompareOrdinal(a.Recipient.Value, b.Recipient.Value));
        return (ordered, duplicates, rejected, rejectedCount);
    }

    private static async Task<ImportResult?> RecordedAsync(NpgsqlConnection conn, Guid batchId, CancellationToken cancellationToken)
    {
        var r = await conn.QuerySingleOrDefaultAsync<(int Accepted, int Duplicates, int RejectedCount, string? Rejected)>(
            new CommandDefinition(RecordedSql, new { BatchId = batchId }, cancellationToken: cancellationToken));
        return r.Rejected is not null
            ? new ImportResult(r.Accepted, r.Duplicates, JsonSerializer.Deserialize<List<RecipientRejection>>(r.Rejected) ?? [], r.RejectedCount)
            : null;
    }
}
