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

    /// <summary>
    /// The row's lease epoch is no longer its shard's live lease (taken over or expired): nothing
    /// was recorded, and nothing may be sent; the shard's next owner executes the command.
    /// </summary>
    Fenced,
}

/// <summary>The journal's answer to <c>SendJournal.StartAsync</c>.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Existing">The earlier delivery's row, for <see cref="SendStartKind.Existing"/>.</param>
public sealed record SendStart(SendStartKind Kind, JournalEntry? Existing = null);

/// <summary>What a <c>sending</c> row records beside the command: where the message went, under which lease.</summary>
/// <param name="CommandId">The command.</param>
/// <param name="AccountId">Its account.</param>
/// <param name="Shard">The account's shard.</param>
/// <param name="Epoch">The shard's lease epoch on this worker (0: none recorded).</param>
/// <param name="ChatId">The chat the message is sent to.</param>
/// <param name="TextHash">SHA-256 of the message's text as handed to TDLib.</param>
public sealed record SendRow(Guid CommandId, string AccountId, int Shard, long Epoch, long ChatId, byte[]? TextHash);

/// <summary>A row an earlier owner of its shard left open (<see cref="SendJournal.LeftOpenAsync"/>).</summary>
/// <param name="CommandId">The command.</param>
/// <param name="AccountId">Its account.</param>
/// <param name="State"><c>sending</c>, or the recorded outcome's state.</param>
/// <param name="Outcome">The recorded outcome (JSON), when not sending.</param>
/// <param name="Epoch">The epoch it was last written under.</param>
/// <param name="ChatId">The chat the message went to (0: not recorded).</param>
/// <param name="TextHash">SHA-256 of its text as handed to TDLib.</param>
/// <param name="CreatedAt">When the row was written.</param>
public sealed record LeftOpen(Guid CommandId, string AccountId, CommandState State, string? Outcome, long Epoch, long ChatId, byte[]? TextHash, DateTimeOffset CreatedAt);

/// <summary>
/// SendMessage's side of the idempotency journal (<c>command_journal</c>, 0004), in two statements
/// per message, each batched with those of concurrent sends (<see cref="StatementBatcher{TItem,TResult}"/>):
/// <list type="number">
/// <item>right before <c>sendMessage</c>, one statement checks the opt-out list and inserts the row
/// as <c>sending</c>, or finds the row an earlier delivery left; it inserts only while the lease
/// epoch the send runs under is its shard's live lease, so a worker resumed from a pause after its
/// shard was taken over cannot leave a row its next owner has already looked for;</item>
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
            SELECT * FROM unnest(@Ids::uuid[], @Accounts::text[], @Users::bigint[], @Hashes::bytea[], @Shards::int[], @Epochs::bigint[], @Chats::bigint[], @Texts::bytea[])
                AS i(command_id, account_id, user_id, body_hash, shard, epoch, chat_id, text_hash)
        ), flagged AS (
            SELECT i.command_id, i.account_id, i.body_hash, i.shard, i.epoch, i.chat_id, i.text_hash,
                   i.user_id <> 0 AND EXISTS (SELECT 1 FROM opt_outs o WHERE o.telegram_user_id = i.user_id) AS opted,
                   i.epoch IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM shard_leases l WHERE l.shard = i.shard AND l.epoch = i.epoch AND l.expires_at > now()) AS fenced
            FROM input i
        ), inserted AS (
            INSERT INTO command_journal (command_id, account_id, command, state, body_hash, shard, epoch, chat_id, text_hash)
            SELECT command_id, account_id, 'SendMessage', 'sending', body_hash, shard, epoch, chat_id, text_hash FROM flagged WHERE NOT opted AND NOT fenced
            ON CONFLICT (command_id) DO NOTHING
            RETURNING command_id
        )
        SELECT f.command_id, ins.command_id IS NOT NULL, f.opted, f.fenced, j.state, j.outcome::text,
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

    // Only while the epoch written under is still the shard's: a fenced or paused owner records nothing.
    // True as well when the row is already gone: a retry of a delete that committed although its
    // answer was lost (the connection dropped) must still publish (only this send deletes its row).
    private const string ForgetSql = """
        WITH gone AS (
            DELETE FROM command_journal j WHERE j.command_id = @CommandId AND j.state = 'sending'
              AND EXISTS (SELECT 1 FROM shard_leases l WHERE l.shard = j.shard AND l.epoch = @Epoch)
            RETURNING 1)
        SELECT EXISTS (SELECT 1 FROM gone) OR NOT EXISTS (SELECT 1 FROM command_journal WHERE command_id = @CommandId)
        """;

    // A row without a shard (written before 0040) is finished by whichever delivery finds it.
    // Idempotent: a retry of a write that committed although its answer was lost (the connection
    // dropped, as in a database restart) finds the row already moved to the same outcome under the
    // same epoch, still unpublished, and is told so; otherwise the outcome would never be published.
    private const string FinishSql = """
        UPDATE command_journal j SET state = u.to_state, outcome = u.outcome::jsonb, epoch = u.epoch, unpublished = true, updated_at = now()
        FROM unnest(@Ids::uuid[], @To::text[], @Outcomes::text[], @Epochs::bigint[]) AS u(command_id, to_state, outcome, epoch)
        WHERE j.command_id = u.command_id
          AND (j.state = 'sending' OR (j.state = u.to_state AND j.unpublished AND j.epoch = u.epoch AND j.outcome = u.outcome::jsonb))
          AND (j.shard IS NULL OR EXISTS (SELECT 1 FROM shard_leases l WHERE l.shard = j.shard AND l.epoch = u.epoch))
        RETURNING j.command_id
        """;

    private const string PublishedSql = "UPDATE command_journal SET unpublished = false WHERE command_id = ANY(@Ids) AND unpublished";

    private const string LeftOpenSql = """
        SELECT command_id, account_id, state, outcome::text, epoch, chat_id, text_hash, created_at
        FROM command_journal
        WHERE shard = @Shard AND (state = 'sending' OR unpublished) AND epoch < @Epoch
        """;

    private const string OpenRowSql = """
        SELECT command_id, account_id, state, outcome::text, coalesce(epoch, 0), chat_id, text_hash, created_at
        FROM command_journal
        WHERE command_id = @CommandId AND (state = 'sending' OR unpublished)
        """;

    private const string ClaimSql = """
        UPDATE command_journal j SET epoch = @Epoch
        WHERE j.command_id = @CommandId AND j.unpublished AND j.epoch = @Previous
          AND EXISTS (SELECT 1 FROM shard_leases l WHERE l.shard = j.shard AND l.epoch = @Epoch)
        """;

    private const string SentIdsSql = """
        SELECT (outcome->'sent'->>'messageId')::bigint FROM command_journal
        WHERE account_id = @AccountId AND chat_id = @ChatId AND state = 'succeeded' AND created_at >= @Since
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
    private readonly StatementBatcher<Guid, bool> _published;

    /// <summary>Creates the journal over <paramref name="db"/>; rows per statement go to <paramref name="metrics"/>.</summary>
    public SendJournal(NpgsqlDataSource db, WorkerMetrics metrics)
    {
        _db = db;
        _starts = new(StartBatchAsync, i => i.CommandId, executed: rows => metrics.JournalBatch("start", rows));
        _finishes = new(FinishBatchAsync, i => i.CommandId, executed: rows => metrics.JournalBatch("finish", rows));
        _published = new(PublishedBatchAsync, id => id, executed: rows => metrics.JournalBatch("published", rows));
    }

    /// <summary>
    /// Right before the message is handed to Telegram: unless <paramref name="recipientUserId"/>
    /// (0 for a group or channel) opted out, durably records the command as <c>sending</c>, or
    /// returns the row an earlier delivery left.
    /// </summary>
    public Task<SendStart> StartAsync(Guid commandId, string accountId, long recipientUserId, byte[]? bodyHash = null) =>
        StartAsync(new SendRow(commandId, accountId, 0, 0, 0, null), recipientUserId, bodyHash);

    /// <summary>
    /// <see cref="StartAsync(Guid, string, long, byte[])"/> for a send handed to TDLib under
    /// <paramref name="row"/>'s lease, to its chat, with a hash of its text: what the shard's next
    /// owner needs to resolve the row if this worker stops before the outcome. With an epoch, the
    /// answer is <see cref="SendStartKind.Fenced"/> (nothing recorded) once that epoch is no longer
    /// the shard's live lease.
    /// </summary>
    public Task<SendStart> StartAsync(SendRow row, long recipientUserId, byte[]? bodyHash) =>
        _starts.RunAsync(new StartItem(row, recipientUserId, bodyHash));

    /// <summary>
    /// Moves a <c>sending</c> row to its outcome, marked unpublished (<see cref="PublishedAsync"/>
    /// clears it), while <paramref name="epoch"/> is still the lease of the row's shard. False when
    /// the row was not <c>sending</c> or the lease has moved on: then someone else reports it.
    /// </summary>
    public Task<bool> FinishAsync(Guid commandId, CommandState to, string outcome, long epoch = 0) =>
        _finishes.RunAsync(new FinishItem(commandId, CommandJournal.Name(to), outcome, epoch));

    /// <summary>The outcome's event is published: the row is no longer in the outbox.</summary>
    public Task PublishedAsync(Guid commandId) => _published.RunAsync(commandId);

    /// <summary>Rows of <paramref name="shard"/> that owners before <paramref name="epoch"/> left open: still <c>sending</c>, or recorded and not published.</summary>
    public async Task<IReadOnlyList<LeftOpen>> LeftOpenAsync(int shard, long epoch, CancellationToken cancellationToken)
    {
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await conn.QueryAsync<(Guid CommandId, string AccountId, string State, string? Outcome, long Epoch, long? ChatId, byte[]? TextHash, DateTime CreatedAt)>(
            new CommandDefinition(LeftOpenSql, new { Shard = shard, Epoch = epoch }, cancellationToken: cancellationToken));
        return [.. rows.Select(Open)];
    }

    private static LeftOpen Open((Guid CommandId, string AccountId, string State, string? Outcome, long Epoch, long? ChatId, byte[]? TextHash, DateTime CreatedAt) r) =>
        new(r.CommandId, r.AccountId, CommandJournal.Parse(r.State), r.Outcome, r.Epoch, r.ChatId ?? 0, r.TextHash, new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)));

    /// <summary>The row of <paramref name="commandId"/> while it is open (<c>sending</c>, or recorded and not published), else null.</summary>
    public async Task<LeftOpen?> OpenRowAsync(Guid commandId, CancellationToken cancellationToken)
    {
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        var rows = await conn.QueryAsync<(Guid CommandId, string AccountId, string State, string? Outcome, long Epoch, long? ChatId, byte[]? TextHash, DateTime CreatedAt)>(
            new CommandDefinition(OpenRowSql, new { CommandId = commandId }, cancellationToken: cancellationToken));
        return rows.Select(Open).SingleOrDefault();
    }

    /// <summary>Takes a recorded, unpublished outcome of an earlier epoch over to <paramref name="epoch"/>, to publish it; false when someone else did.</summary>
    public async Task<bool> ClaimAsync(Guid commandId, long previous, long epoch, CancellationToken cancellationToken)
    {
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        return await conn.ExecuteAsync(new CommandDefinition(ClaimSql, new { CommandId = commandId, Previous = previous, Epoch = epoch }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>The Telegram message ids that recorded sends of <paramref name="accountId"/> to <paramref name="chatId"/> since <paramref name="since"/> already account for.</summary>
    public async Task<IReadOnlySet<long>> SentIdsAsync(string accountId, long chatId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var conn = await _db.OpenConnectionAsync(cancellationToken);
        return (await conn.QueryAsync<long?>(new CommandDefinition(SentIdsSql, new { AccountId = accountId, ChatId = chatId, Since = since },
            cancellationToken: cancellationToken))).OfType<long>().ToHashSet();
    }

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
    public async Task<bool> ForgetAsync(Guid commandId, long epoch)
    {
        await using var conn = await _db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<bool>(new CommandDefinition(ForgetSql, new { CommandId = commandId, Epoch = epoch }));
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
        await _published.DisposeAsync();
    }

    private async Task<IReadOnlyList<SendStart>> StartBatchAsync(IReadOnlyList<StartItem> items)
    {
        await using var conn = await _db.OpenConnectionAsync();
        var rows = (await conn.QueryAsync<(Guid CommandId, bool Started, bool OptedOut, bool Fenced, string? State, string? Outcome, bool? SameBody)>(StartSql, new
        {
            Ids = items.Select(i => i.Row.CommandId).ToArray(),
            Accounts = items.Select(i => i.Row.AccountId).ToArray(),
            Users = items.Select(i => i.RecipientUserId).ToArray(),
            Hashes = items.Select(i => i.BodyHash).ToArray(),
            Shards = items.Select(i => i.Row.Epoch == 0 ? (int?)null : i.Row.Shard).ToArray(),
            Epochs = items.Select(i => i.Row.Epoch == 0 ? (long?)null : i.Row.Epoch).ToArray(),
            Chats = items.Select(i => i.Row.ChatId == 0 ? (long?)null : i.Row.ChatId).ToArray(),
            Texts = items.Select(i => i.Row.TextHash).ToArray(),
        })).ToDictionary(r => r.CommandId);
        var answers = new SendStart?[items.Count];
        List<Guid>? raced = null;
        for (var i = 0; i < items.Count; i++)
        {
            var row = rows[items[i].CommandId];
            answers[i] = row switch
            {
                { Started: true } => new SendStart(SendStartKind.Started),
                { Fenced: true } => new SendStart(SendStartKind.Fenced),
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

    private async Task<IReadOnlyList<bool>> FinishBatchAsync(IReadOnlyList<FinishItem> items)
    {
        await using var conn = await _db.OpenConnectionAsync();
        var moved = (await conn.QueryAsync<Guid>(FinishSql, new
        {
            Ids = items.Select(i => i.CommandId).ToArray(),
            To = items.Select(i => i.To).ToArray(),
            Outcomes = items.Select(i => i.Outcome).ToArray(),
            Epochs = items.Select(i => i.Epoch).ToArray(),
        })).ToHashSet();
        return [.. items.Select(i => moved.Contains(i.CommandId))];
    }

    private async Task<IReadOnlyList<bool>> PublishedBatchAsync(IReadOnlyList<Guid> ids)
    {
        await using var conn = await _db.OpenConnectionAsync();
        await conn.ExecuteAsync(new CommandDefinition(PublishedSql, new { Ids = ids.ToArray() }));
        return [.. ids.Select(_ => true)];
    }

    private sealed record StartItem(SendRow Row, long RecipientUserId, byte[]? BodyHash)
    {
        public Guid CommandId => Row.CommandId;
    }

    private sealed record FinishItem(Guid CommandId, string To, string Outcome, long Epoch);
}
