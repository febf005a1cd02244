using Dapper;
using Npgsql;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Queries;
using TgFleet.Storage.Accounts;

namespace TgFleet.Worker.Queries;

/// <summary>
/// What the fleet knows of its accounts, read from the <c>accounts</c> table (0001, 0005):
/// <c>accounts.status</c> maps to <see cref="AccountStatus"/> by <see cref="AccountRowStatus.Status"/>.
/// </summary>
public sealed class AccountQueries(NpgsqlDataSource db)
{
    /// <summary>The <c>accounts.status</c> values that are not <see cref="AccountStatus.LoggedOut"/>; every other value is.</summary>
    private static readonly string[] NotLoggedOut = AccountRowStatus.Names(AccountRowStatus.All.Where(s => s.Status != AccountStatus.LoggedOut));

    private const string GetSql = """
        SELECT account_id AS AccountId, phone_masked AS PhoneMasked, status AS Status, shard AS Shard,
               telegram_user_id AS TelegramUserId, flood_wait_until AS FloodWaitUntil
        FROM accounts
        WHERE account_id = @AccountId
        """;

    // Ordinal (byte) order of the ids, whatever the database's collation, so that After pages
    // the same way as string.CompareOrdinal. With a status, accounts_status (status, account_id)
    // narrows the rows first.
    private const string ListSql = """
        SELECT account_id AS AccountId, phone_masked AS PhoneMasked, status AS Status, shard AS Shard,
               telegram_user_id AS TelegramUserId, flood_wait_until AS FloodWaitUntil
        FROM accounts
        WHERE (cardinality(@Only::text[]) = 0 OR status = ANY(@Only::text[]))
          AND (cardinality(@Except::text[]) = 0 OR status <> ALL(@Except::text[]))
          AND (@After::text IS NULL OR account_id COLLATE "C" > @After::text COLLATE "C")
        ORDER BY account_id COLLATE "C"
        LIMIT @Limit
        """;

    /// <summary>The account, or null when it has no <c>accounts</c> row.</summary>
    public async Task<AccountInfo?> GetAsync(string accountId, CancellationToken cancellationToken)
    {
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var row = await conn.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(GetSql, new { AccountId = accountId }, cancellationToken: cancellationToken));
        return row?.ToInfo();
    }

    /// <summary>Accounts in ordinal order of their ids, after <see cref="ListAccounts.After"/>, only those in <see cref="ListAccounts.Status"/> if given.</summary>
    public async Task<AccountList> ListAsync(ListAccounts query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (only, except) = query.Status switch
        {
            null => (Array.Empty<string>(), Array.Empty<string>()),
            AccountStatus.LoggedOut => (Array.Empty<string>(), NotLoggedOut),
            { } status => (new[] { AccountRowStatus.Of(status).Name }, Array.Empty<string>()),
        };
        await using var conn = await db.OpenConnectionAsync(cancellationToken);
        var rows = await conn.QueryAsync<Row>(new CommandDefinition(ListSql,
            new { Only = only, Except = except, After = string.IsNullOrEmpty(query.After) ? null : query.After, query.Limit }, cancellationToken: cancellationToken));
        return new AccountList(rows.Select(r => r.ToInfo()).ToList());
    }

    private sealed class Row
    {
        public string AccountId { get; init; } = string.Empty;

        public string? PhoneMasked { get; init; }

        public string Status { get; init; } = string.Empty;

        public int Shard { get; init; }

        public long? TelegramUserId { get; init; }

        public DateTime? FloodWaitUntil { get; init; }

        public AccountInfo ToInfo() => new(AccountId, PhoneMasked, AccountRowStatus.Parse(Status)?.Status ?? AccountStatus.LoggedOut, Shard)
        {
            TelegramUserId = TelegramUserId,
            FloodWaitUntil = FloodWaitUntil is { } until ? new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) : null,
        };
    }
}
