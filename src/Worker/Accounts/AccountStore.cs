using Dapper;
using Npgsql;
using TgFleet.Contracts.Accounts;
using TgFleet.Storage.Accounts;

namespace TgFleet.Worker.Accounts;

/// <summary>The <c>accounts</c> table (0001_accounts.sql): one row per account, with its masked phone and status (<see cref="AccountRowStatus"/>).</summary>
public sealed class AccountStore(NpgsqlDataSource db)
{
    private const string UpsertSql = """
        INSERT INTO accounts (account_id, shard, phone_masked, status)
        VALUES (@AccountId, @Shard, @PhoneMasked, @Status)
        ON CONFLICT (account_id) DO UPDATE
            SET shard = excluded.shard,
                phone_masked = COALESCE(excluded.phone_masked, accounts.phone_masked),
                status = excluded.status,
                updated_at = now()
        """;

    private const string SetStatusSql = """
        UPDATE accounts SET status = @Status, status_reason = @Reason, flood_wait_until = @Until, limited_until = @LimitedUntil,
            telegram_user_id = COALESCE(@UserId, telegram_user_id), updated_at = now()
        WHERE account_id = @AccountId
        """;

    private const string StatusSql = "SELECT status FROM accounts WHERE account_id = @AccountId";

    /// <summary>Creates or updates the account's row; a null <paramref name="phoneMasked"/> keeps the stored one.</summary>
    public async Task UpsertAsync(string accountId, int shard, string? phoneMasked, AccountRowStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(UpsertSql,
            new { AccountId = accountId, Shard = shard, PhoneMasked = phoneMasked, Status = status.Name }, cancellationToken: cancellationToken));
    }

    /// <summary>Records the account's operational status, its reason and flood-wait end.</summary>
    public async Task SetStatusAsync(string accountId, AccountStatus status, string? reason, DateTimeOffset? until, long? userId, CancellationToken cancellationToken,
        DateTimeOffset? limitedUntil = null)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        await conn.ExecuteAsync(new CommandDefinition(SetStatusSql,
            new { AccountId = accountId, Status = AccountRowStatus.Of(status).Name, Reason = reason, Until = until, LimitedUntil = limitedUntil, UserId = userId }, cancellationToken: cancellationToken));
    }

    /// <summary>The account's FLOOD_WAIT and PEER_FLOOD ends as recorded (null when none or no row).</summary>
    public async Task<(DateTimeOffset? FloodWaitUntil, DateTimeOffset? LimitedUntil)> LimitsAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var row = await conn.QuerySingleOrDefaultAsync<(DateTime? Flood, DateTime? Limited)?>(new CommandDefinition(
            "SELECT flood_wait_until, limited_until FROM accounts WHERE account_id = @AccountId", new { AccountId = accountId }, cancellationToken: cancellationToken));
        return row is { } r ? (Utc(r.Flood), Utc(r.Limited)) : (null, null);
    }

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    /// <summary>The account's stored status, or null when it has no row.</summary>
    public async Task<AccountRowStatus?> StatusAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return AccountRowStatus.Parse(await conn.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(StatusSql, new { AccountId = accountId }, cancellationToken: cancellationToken)));
    }

    /// <summary>Deletes the account's row (its session goes with it: ON DELETE CASCADE).</summary>
    public async Task<bool> DeleteAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        return await conn.ExecuteAsync(new CommandDefinition("DELETE FROM accounts WHERE account_id = @AccountId",
            new { AccountId = accountId }, cancellationToken: cancellationToken)) > 0;
    }
}
