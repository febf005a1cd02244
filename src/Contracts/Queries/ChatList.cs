namespace TgFleet.Contracts.Queries;

/// <summary>The answer to <see cref="GetChats"/>.</summary>
/// <param name="AccountId">The account key.</param>
/// <param name="Chats">The chats.</param>
public sealed record ChatList(string AccountId, IReadOnlyList<ChatSummary> Chats);
