using Dapper;
using Npgsql;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Messaging;

/// <summary>How the journal answered a send about to be handed to Telegram.</summary>
public enum SendStartKind
{
    /// <summary>The row is now durably <c>sending</c>: hand the message over.</summary>
    Started,

    /// <summary>The recipient is on the opt-out list; nothing was recorded.</summary>
    OptedOut,

    /// <summary>An earlier delivery of this command left a row: <see cref="SendStart.Existing"/>.</summary>
    Existing,
}

/// <summary>The journal's answer to <see cref="SendJournal.StartAsync"/>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Existing">The earlier delivery's row, for <see cref="SendStartKind.Existing"/>.</param>
public sealed record SendStart(SendStartKind Kind, JournalEntry? Existing = null);

/// <summary>
/// SendMessage's side of the idempotency journal (<c>command_journal</c>, 0004), in two statements
/// per message, each batched with those of concurrent sends (<see cref="StatementBatcher{TItem,TResult}"/>):
/// <list type="number">
/// <item>right before <c>sendMessage</c>, one statement checks the opt-out list and inserts the row
/// as <c>sending</c>, or finds the row an earlier delivery left;</item>
/// <item>after Telegram's answer, the row moves from <c>sending</c> to its outcome.</item>
/// </list>
/// A send that never reaches Telegram (account not ready, unknown recipient, FLOOD_WAIT, …) writes
/// its final row at once (<see cref="RecordAsync"/>). Recipient look-ups before the first statement
/// only read, so a redelivery may repeat them; what it may never repeat, the send, is decided by
/// the row.
/// </summary>
public sealed class SendJournal : IAsyncDisposable
{
    private const string StartSql = """
        WITH input AS (
            SELECT * FROM unnest(@Ids::uuid[], @Accounts::text[], @Users::bigint[], @Hashes::bytea[]) AS i(command_id, account_id, user_id, body_hash)
        ), flagged AS (
            SELECT i.command_id, i.account_id, i.body_hash,
                   i.user_id <> 0 AND EXISTS (SELECT 1 FROM opt_outs o WHERE o.telegram_user_id = i.user_id) AS opted
            FROM input i
        ), inserted AS (
            INSERT INTO command_journal (command_id, account_id, command, state, body_hash)
            SELECT command_id, account_id, 'SendMessage', 'sending', body_hash FROM flagged WHERE NOT opted
            ON CONFLICT (command_id) DO NOTHING
            RETURNING command_id
        )
        SELECT f.command_id, ins.command_id IS NOT NULL, f.opted, j.state, j.outcome::text,
               j.body_hash IS NULL OR j.body_hash = f.body_hash
        FROM flagged f
        LEFT JOIN inserted ins ON ins.command_id = f.command_id
        LEFT JOIN command_journal j ON j.command_id = f.command_id
        """;

    private const string ReadSql = """
        SELECT j.command_id, j.state, j.outcome::text, j.body_hash IS NULL OR j.body_hash = i.body_hash
        FROM unnest(@Ids::uuid[], @Hashes::bytea[]) AS i(command_id, body_hash)
        JOIN command_journal j ON j.command_id = i.command_id
        """;

    private const string FindSql = """
        SELECT state, outcome::text, body_hash IS NULL OR body_hash = @BodyHash
        FROM command_journal WHERE command_id = @CommandId
        """;

    private const string ForgetSql = "DELETE FROM command_journal WHERE command_id = @CommandId AND state = 'sending'";

    private const string FinishSql = """
        UPDATE command_journal j SET state = u.to_state, outcome = u.outcome::jsonb, updated_at = now()
        FROM unnest(@Ids::uuid[], @To::text[], @Outcomes::text[]) AS u(command_id, to_state, outcome)
        WHERE j.command_id = u.command_id AND j.state = 'sending'
        RETURNING j.command_id
        """;

    private const string RecordSql = """
        WITH inserted AS (
            INSERT INTO command_journal (command_id, account_id, command, state, outcome, body_hash)
            VALUES (@CommandId, @AccountId, 'SendMessage', @State, @Outcome::jsonb, @BodyHash)
            ON CONFLICT (command_id) DO NOTHING
            RETURNING true AS fresh
        )
        SELECT NULL::text AS state, NULL::text AS outcome, true AS fresh, true AS same_body FROM inserted
        UNION ALL
        SELECT state, outcome::text, false, body_hash IS NULL OR body_hash = @BodyHash
        FROM command_journal WHERE command_id = @CommandId AND NOT EXISTS (SELECT 1 FROM inserted)
        """;

    private readonly NpgsqlDataSource _db;
    private readonly StatementBatcher<StartItem, SendStart> _starts;
    private readonly StatementBatcher<FinishItem, bool> _finishes;

    /// <summary>Creates the journal over <paramref name="db"/>; rows per statement go to <paramref name="metrics"/>.</summary>
    public SendJournal(NpgsqlDataSource db, WorkerMetrics? metrics = null)
    {
        _db = db;
        _starts = new(StartBatchAsync, i => i.CommandId, executed: rows => metrics?.JournalBatch("start", rows));
        _finishes = new(FinishBatchAsync, i => i.CommandId, executed: rows => metrics?.JournalBatch("finish", rows));
    }

    /// <summary>
    /// Right before the message is handed to Telegram: unless <paramref name="recipientUserId"/>
    /// (0 for a group or channel) opted out, durably records the command as <c>sending</c>, or
    /// returns the row an earlier delivery left.
    /// </summary>
    public Task<SendStart> StartAsync(Guid commandId, string accountId, long recipientUserId, byte[]? bodyHash = null) =>
        _starts.RunAsync(new StartItem(commandId, accountId, recipientUserId, bodyHash));

    /// <summary>Moves a <c>sending</c> row to its outcome; false when it was not <c>sending</c>.</summary>
    public Task<bool> FinishAsync(Guid commandId, CommandState to, string outcome) =>
        _finishes.RunAsync(new FinishItem(commandId, CommandJournal.Name(to), outcome));

    /// <summary>The row an earlier delivery of <paramref name="commandId"/> left, if any.</summary>
    public async Task<JournalEntry?> FindAsync(Guid commandId, byte[]? bodyHash, CancellationToken cancellationToken)
    {
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        var row = await conn.QuerySingleOrDefaultAsync<(string State, string? Outcome, bool SameBody)?>(new CommandDefinition(FindSql,
            new { CommandId = commandId, BodyHash = bodyHash }, cancellationToken: cancellationToken));
        return row is { } found ? new JournalEntry(CommandJournal.Parse(found.State), found.Outcome) { SameBody = found.SameBody } : null;
    }

    /// <summary>
    /// Deletes a <c>sending</c> row whose message Telegram refused without sending it, for a reason
    /// that is not final (FLOOD_WAIT, PEER_FLOOD, …): a retry under the same command id executes.
    /// </summary>
    public async Task ForgetAsync(Guid commandId)
    {
        await using var conn = await _db.OpenConnectionAsync();
        await conn.ExecuteAsync(new CommandDefinition(ForgetSql, new { CommandId = commandId }));
    }

    /// <summary>
    /// Records the final outcome of a send that never reached Telegram. Returns null when recorded,
    /// otherwise the row an earlier delivery left (which stands).
    /// </summary>
    public async Task<JournalEntry?> RecordAsync(Guid commandId, string accountId, CommandState state, string outcome, byte[]? bodyHash = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var conn = await _db.OpenConnectionAsync();
            var row = await conn.QuerySingleOrDefaultAsync<(string? State, string? Outcome, bool Fresh, bool SameBody)?>(RecordSql,
                new { CommandId = commandId, AccountId = accountId, State = CommandJournal.Name(state), Outcome = outcome, BodyHash = bodyHash });
            if (row is { } found)
            {
                return found.Fresh ? null : new JournalEntry(CommandJournal.Parse(found.State!), found.Outcome) { SameBody = found.SameBody };
            }

            // A concurrent delivery inserted the row after this statement's snapshot: read it again.
            if (attempt > 0)
            {
                throw new InvalidOperationException($"SendMessage {commandId}: the journal neither took the outcome nor shows the row that refused it.");
            }
        }
    }

    /// <summary>Runs the writes still queued, then takes no more.</summary>
    public async ValueTask DisposeAsync()
    {
        await _starts.DisposeAsync();
        await _finishes.DisposeAsync();
    }

    private async Task<IReadOnlyList<SendStart>> StartBatchAsync(IReadOnlyList<StartItem> items)
    {
        await using var conn = await _db.OpenConnectionAsync();
        var rows = (await conn.QueryAsync<(Guid CommandId, bool Started, bool OptedOut, string? State, string? Outcome, bool? SameBody)>(StartSql, new
        {
            Ids = items.Select(i => i.CommandId).ToArray(),
            Accounts = items.Select(i => i.AccountId).ToArray(),
            Users = items.Select(i => i.RecipientUserId).ToArray(),
            Hashes = items.Select(i => i.BodyHash).ToArray(),
        })).ToDictionary(r => r.CommandId);
        var answers = new SendStart?[items.Count];
        List<Guid>? raced = null;
        for (var i = 0; i < items.Count; i++)
        {
            var row = rows[items[i].CommandId];
            answers[i] = row switch
            {
                { Started: true } => new SendStart(SendStartKind.Started),
                { State: { } state } => new SendStart(SendStartKind.Existing, new JournalEntry(CommandJournal.Parse(state), row.Outcome) { SameBody = row.SameBody ?? true }),
                { OptedOut: true } => new SendStart(SendStartKind.OptedOut),
                _ => null,
            };
            if (answers[i] is null)
            {
                (raced ??= []).Add(items[i].CommandId);
            }
        }

        if (raced is not null)
        {
            // Refused by a row committed after this statement's snapshot (a concurrent delivery): read it.
            var hashes = items.Where(i => raced.Contains(i.CommandId)).ToDictionary(i => i.CommandId, i => i.BodyHash);
            var existing = (await conn.QueryAsync<(Guid CommandId, string State, string? Outcome, bool SameBody)>(ReadSql,
                new { Ids = raced.ToArray(), Hashes = raced.Select(id => hashes[id]).ToArray() })).ToDictionary(r => r.CommandId);
            for (var i = 0; i < items.Count; i++)
            {
                if (answers[i] is null)
                {
                    var row = existing[items[i].CommandId];
                    answers[i] = new SendStart(SendStartKind.Existing, new JournalEntry(CommandJournal.Parse(row.State), row.Outcome) { SameBody = row.SameBody });
                }
            }
        }

        return answers!;
    }

    private Task<IReadOnlyList<bool>> FinishBatchAsync(IReadOnlyList<FinishItem> items) =>
        CommandJournal.MoveBatchAsync(_db, FinishSql, [.. items.Select(i => (i.CommandId, i.To, (string?)i.Outcome))]);

    private sealed record StartItem(Guid CommandId, string AccountId, long RecipientUserId, byte[]? BodyHash);

    private sealed record FinishItem(Guid CommandId, string To, string Outcome);
}
