using Dapper;
using Npgsql;

namespace TgFleet.Worker.Commands;

/// <summary>Where a journalled command stands.</summary>
public enum CommandState
{
    /// <summary>Recorded; nothing sent to Telegram yet.</summary>
    Accepted,

    /// <summary>Being handed to Telegram; a crash here leaves the outcome unknown.</summary>
    Sending,

    /// <summary>Done; the outcome is recorded.</summary>
    Succeeded,

    /// <summary>Failed; the outcome is recorded.</summary>
    Failed,

    /// <summary>A crash left it unknown whether it took effect; never retried.</summary>
    Unknown,
}

/// <summary>A journal entry: the state and, when final, the outcome (JSON of the event published).</summary>
/// <param name="State">Where it stands.</param>
/// <param name="Outcome">The recorded outcome, when final.</param>
public sealed record JournalEntry(CommandState State, string? Outcome)
{
    /// <summary>False when the row was written for a command with another body (or of another type) under the same id (<c>COMMAND_ID_REUSED</c>).</summary>
    public bool SameBody { get; init; } = true;

    /// <summary>The SHA-256 of a command's body as the journal stores it (the command serialized as JSON).</summary>
    public static byte[] BodyHash<T>(T command) => System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(command));
}

/// <summary>
/// THE idempotency journal (<c>command_journal</c>, 0004 and 0007), one row per command id with the
/// command's type and a hash of its body: the database's unique command id decides which delivery
/// of a command does the work; every later delivery reads what happened. The command pipeline
/// (<see cref="CommandFilter{T}"/>) begins and finishes every journalled command through
/// <see cref="BeginAsync"/> and <see cref="FinishAsync"/>; both fold the writes of concurrent
/// commands into one statement (<see cref="StatementBatcher{TItem,TResult}"/>). SendMessage's
/// <c>sending</c> lifecycle is <c>Messaging/SendJournal</c>'s, over the same rows.
/// </summary>
public sealed class CommandJournal : IAsyncDisposable
{
    private const string BeginSql = """
        WITH input AS (
            SELECT * FROM unnest(@Ids::uuid[], @Accounts::text[], @Commands::text[], @Hashes::bytea[]) AS i(command_id, account_id, command, body_hash)
        ), inserted AS (
            INSERT INTO command_journal (command_id, account_id, command, state, body_hash)
            SELECT command_id, account_id, command, 'accepted', body_hash FROM input
            ON CONFLICT (command_id) DO NOTHING
            RETURNING command_id
        )
        SELECT i.command_id, ins.command_id IS NOT NULL, j.state, j.outcome::text,
               j.command = i.command AND (j.body_hash IS NULL OR j.body_hash = i.body_hash)
        FROM input i
        LEFT JOIN inserted ins ON ins.command_id = i.command_id
        LEFT JOIN command_journal j ON j.command_id = i.command_id
        """;

    private const string ReadSql = """
        SELECT j.command_id, j.state, j.outcome::text, j.command = i.command AND (j.body_hash IS NULL OR j.body_hash = i.body_hash)
        FROM unnest(@Ids::uuid[], @Commands::text[], @Hashes::bytea[]) AS i(command_id, command, body_hash)
        JOIN command_journal j ON j.command_id = i.command_id
        """;

    private const string FinishSql = """
        UPDATE command_journal j SET state = u.to_state, outcome = u.outcome::jsonb, updated_at = now()
        FROM unnest(@Ids::uuid[], @To::text[], @Outcomes::text[]) AS u(command_id, to_state, outcome)
        WHERE j.command_id = u.command_id AND j.state = 'accepted'
        RETURNING j.command_id
        """;

    private const string MoveSql = """
        UPDATE command_journal SET state = @To, outcome = @Outcome::jsonb, updated_at = now()
        WHERE command_id = @CommandId AND state = @From
        """;

    private const string ForgetSql = "DELETE FROM command_journal WHERE command_id = @CommandId AND state = 'accepted'";

    private readonly NpgsqlDataSource _db;
    private readonly StatementBatcher<BeginItem, JournalEntry?> _begins;
    private readonly StatementBatcher<FinishItem, bool> _finishes;

    /// <summary>Creates the journal over <paramref name="db"/>; rows per statement go to <paramref name="metrics"/>.</summary>
    public CommandJournal(NpgsqlDataSource db, WorkerMetrics metrics)
    {
        _db = db;
        _begins = new(BeginBatchAsync, i => i.CommandId, executed: rows => metrics.JournalBatch("begin", rows));
        _finishes = new(FinishBatchAsync, i => i.CommandId, executed: rows => metrics.JournalBatch("end", rows));
    }

    /// <summary>
    /// Records the command as <c>accepted</c> if its id is new. Returns null for a first delivery (the
    /// caller does the work), otherwise the existing entry, whose <see cref="JournalEntry.SameBody"/>
    /// says whether it is this command's (same type and body hash) or another's under the same id.
    /// </summary>
    public Task<JournalEntry?> BeginAsync(Guid commandId, string accountId, string command, byte[]? bodyHash) =>
        _begins.RunAsync(new BeginItem(commandId, accountId, command, bodyHash));

    /// <summary>Moves an <c>accepted</c> command to its final state with its outcome (JSON); false when it was not <c>accepted</c>.</summary>
    public Task<bool> FinishAsync(Guid commandId, CommandState to, string? outcome) =>
        _finishes.RunAsync(new FinishItem(commandId, Name(to), outcome));

    /// <summary>Moves the command from <paramref name="from"/> to <paramref name="to"/>; false when it was not in <paramref name="from"/>.</summary>
    public async Task<bool> MoveAsync(Guid commandId, CommandState from, CommandState to, string? outcome, CancellationToken cancellationToken)
    {
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        return await conn.ExecuteAsync(new CommandDefinition(MoveSql,
            new { CommandId = commandId, From = Name(from), To = Name(to), Outcome = outcome }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// Deletes an <c>accepted</c> command that was refused for now only (<see cref="CommandRejections.IsPermanent"/>):
    /// nothing is recorded, so a retry under the same command id executes.
    /// </summary>
    public async Task ForgetAsync(Guid commandId, CancellationToken cancellationToken)
    {
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(ForgetSql, new { CommandId = commandId }, cancellationToken: cancellationToken));
    }

    /// <summary>Runs the writes still queued, then takes no more.</summary>
    public async ValueTask DisposeAsync()
    {
        await _begins.DisposeAsync();
        await _finishes.DisposeAsync();
    }

    /// <summary>The state's name in the <c>state</c> column.</summary>
    internal static string Name(CommandState state) => state.ToString().ToLowerInvariant();

    /// <summary>The state a <c>state</c> column holds.</summary>
    internal static CommandState Parse(string state) => Enum.Parse<CommandState>(state, ignoreCase: true);

    private async Task<IReadOnlyList<JournalEntry?>> BeginBatchAsync(IReadOnlyList<BeginItem> items)
    {
        await using var conn = await _db.OpenConnectionAsync();
        var rows = (await conn.QueryAsync<(Guid CommandId, bool Fresh, string? State, string? Outcome, bool? Same)>(BeginSql, new
        {
            Ids = items.Select(i => i.CommandId).ToArray(),
            Accounts = items.Select(i => i.AccountId).ToArray(),
            Commands = items.Select(i => i.Command).ToArray(),
            Hashes = items.Select(i => i.BodyHash).ToArray(),
        })).ToDictionary(r => r.CommandId);
        var answers = new JournalEntry?[items.Count];
        List<BeginItem>? raced = null;
        for (var i = 0; i < items.Count; i++)
        {
            var row = rows[items[i].CommandId];
            if (row.Fresh)
            {
                continue;
            }

            if (row.State is { } state)
            {
                answers[i] = new JournalEntry(Parse(state), row.Outcome) { SameBody = row.Same ?? true };
            }
            else
            {
                (raced ??= []).Add(items[i]);
            }
        }

        if (raced is not null)
        {
            // Refused by a row committed after this statement's snapshot (a concurrent delivery): read it.
            var existing = (await conn.QueryAsync<(Guid CommandId, string State, string? Outcome, bool Same)>(ReadSql, new
            {
                Ids = raced.Select(r => r.CommandId).ToArray(),
                Commands = raced.Select(r => r.Command).ToArray(),
                Hashes = raced.Select(r => r.BodyHash).ToArray(),
            })).ToDictionary(r => r.CommandId);
            for (var i = 0; i < items.Count; i++)
            {
                if (!rows[items[i].CommandId].Fresh && answers[i] is null)
                {
                    var row = existing[items[i].CommandId];
                    answers[i] = new JournalEntry(Parse(row.State), row.Outcome) { SameBody = row.Same };
                }
            }
        }

        return answers;
    }

    /// <summary>
    /// Runs <paramref name="sql"/>, an UPDATE over <c>unnest(@Ids, @To, @Outcomes)</c> that returns
    /// the ids it moved, for a batch; true for each command it moved. SendJournal's finish is one too.
    /// </summary>
    internal static async Task<IReadOnlyList<bool>> MoveBatchAsync(NpgsqlDataSource db, string sql, IReadOnlyList<(Guid CommandId, string To, string? Outcome)> items)
    {
        await using var conn = await db.OpenConnectionAsync();
        var moved = (await conn.QueryAsync<Guid>(sql, new
        {
            Ids = items.Select(i => i.CommandId).ToArray(),
            To = items.Select(i => i.To).ToArray(),
            Outcomes = items.Select(i => i.Outcome).ToArray(),
        })).ToHashSet();
        return [.. items.Select(i => moved.Contains(i.CommandId))];
    }

    private Task<IReadOnlyList<bool>> FinishBatchAsync(IReadOnlyList<FinishItem> items) =>
        MoveBatchAsync(_db, FinishSql, [.. items.Select(i => (i.CommandId, i.To, i.Outcome))]);

    private sealed record BeginItem(Guid CommandId, string AccountId, string Command, byte[]? BodyHash);

    private sealed record FinishItem(Guid CommandId, string To, string? Outcome);
}
