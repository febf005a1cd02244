using Dapper;
using Npgsql;

namespace TgFleet.Worker.Messaging;

/// <summary>
/// The fleet-wide opt-out list (<c>opt_outs</c>, 0005_account_status.sql): a Telegram user who
/// replied STOP or unsubscribe to any account is never messaged by any account again (the check
/// is part of the send's journal statement, <see cref="SendJournal"/>).
/// </summary>
public sealed class OptOutStore(NpgsqlDataSource db)
{
    private static readonly string[] Words = ["stop", "unsubscribe"];
    private static readonly char[] Separators = [' ', '\t', '\r', '\n', '.', ',', '!', '?', ';', ':'];

    /// <summary>Whether <paramref name="text"/> asks not to be messaged: it contains the word STOP or unsubscribe (any case).</summary>
    public static bool IsOptOut(string? text) =>
        text is not null && text.Split(Separators, StringSplitOptions.RemoveEmptyEntries).Any(w => Words.Contains(w, StringComparer.OrdinalIgnoreCase));

    /// <summary>Records that <paramref name="userId"/> opted out (in a message to <paramref name="accountId"/>).</summary>
    public async Task AddAsync(long userId, string accountId, string reason, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(
            "INSERT INTO opt_outs (telegram_user_id, account_id, reason) VALUES (@UserId, @AccountId, @Reason) ON CONFLICT (telegram_user_id) DO NOTHING",
            new { UserId = userId, AccountId = accountId, Reason = reason }, cancellationToken: cancellationToken));
    }
}
