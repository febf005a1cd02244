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
    /// <summary>False when the row was written for a command with another body under the same id (<c>COMMAND_ID_REUSED</c>).</summary>
    public bool SameBody { get; init; } = true;

    /// <summary>The SHA-256 of a command's body as the journal stores it (the command serialized as JSON).</summary>
    public static byte[] BodyHash<T>(T command) => System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(command));
}

/// <summary>
/// The idempotency journal (0004_command_journal.sql): the database's unique command id decides
/// which delivery of a command does the work; every later delivery reads what happened.
/// </summary>
public sealed class CommandJournal(NpgsqlDataSource db)
{
    private const string BeginSql = """
        WITH inserted AS (
            INSERT INTO command_journal (command_id, account_id, command, state)
            VALUES (@CommandId, @AccountId, @Command, 'accepted')
            ON CONFLICT (command_id) DO NOTHING
            RETURNING state, outcome::text AS outcome, true AS fresh
        )
        SELECT state, outcome, fresh FROM inserted
        UNION ALL
        SELECT state, outcome::text, false FROM command_journal WHERE command_id = @CommandId AND NOT EXISTS (SELECT 1 FROM inserted)
        """;

    private const string MoveSql = """
        UPDATE command_journal SET state = @To, outcome = @Outcome::jsonb, updated_at = now()
        WHERE command_id = @CommandId AND state = @From
        """;

    /// <summary>
    /// Records the command if it is new. Returns null for a first delivery (the caller does the
    /// work), otherwise the existing entry (the caller reports it and does nothing else).
    /// </summary>
    public async Task<JournalEntry?> BeginAsync(Guid commandId, string accountId, string command, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var row = await conn.QuerySingleAsync<(string State, string? Outcome, bool Fresh)>(new CommandDefinition(BeginSql,
            new { CommandId = commandId, AccountId = accountId, Command = command }, cancellationToken: cancellationToken));
        return row.Fresh ? null : new JournalEntry(Parse(row.State), row.Outcome);
    }

    /// <summary>Moves the command from <paramref name="from"/> to <paramref name="to"/>; false when it was not in <paramref name="from"/>.</summary>
    public async Task<bool> MoveAsync(Guid commandId, CommandState from, CommandState to, string? outcome, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return await conn.ExecuteAsync(new CommandDefinition(MoveSql,
            new { CommandId = commandId, From = Name(from), To = Name(to), Outcome = outcome }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>The state's name in the <c>state</c> column.</summary>
    internal static string Name(CommandState state) => state.ToString().ToLowerInvariant();

    /// <summary>The state a <c>state</c> column holds.</summary>
    internal static CommandState Parse(string state) => Enum.Parse<CommandState>(state, ignoreCase: true);
}
