namespace TgFleet.Contracts.Queries;

/// <summary>The answer to <see cref="ListAccounts"/>.</summary>
/// <param name="Accounts">The accounts, in ordinal order of their ids.</param>
public sealed record AccountList(IReadOnlyList<AccountInfo> Accounts);
