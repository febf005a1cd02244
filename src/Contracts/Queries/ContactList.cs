namespace TgFleet.Contracts.Queries;

/// <summary>The answer to <see cref="SearchContacts"/>.</summary>
/// <param name="AccountId">The account key.</param>
/// <param name="Contacts">The matching contacts.</param>
public sealed record ContactList(string AccountId, IReadOnlyList<TelegramUser> Contacts);
