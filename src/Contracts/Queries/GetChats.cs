namespace TgFleet.Contracts.Queries;

/// <summary>Asks for the account's chats (main list, most recent first); answered by <see cref="ChatList"/>.</summary>
/// <param name="CommandId">The request's id.</param>
/// <param name="AccountId">The account key.</param>
public sealed record GetChats(Guid CommandId, string AccountId)
{
    /// <summary>At most this many (default 100).</summary>
    public int Limit { get; init; } = 100;
}
