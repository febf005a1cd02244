namespace TgFleet.Contracts.Queries;

/// <summary>Searches the account's contacts; answered by <see cref="ContactList"/>.</summary>
/// <param name="CommandId">The request's id.</param>
/// <param name="AccountId">The account key.</param>
/// <param name="Query">Text to look for in names and usernames (empty: all contacts).</param>
public sealed record SearchContacts(Guid CommandId, string AccountId, string Query)
{
    /// <summary>At most this many (default 100).</summary>
    public int Limit { get; init; } = 100;
}
