namespace TgFleet.Contracts.Queries;

/// <summary>Asks Telegram who the account is; answered by <see cref="TelegramUser"/>.</summary>
/// <param name="CommandId">The request's id.</param>
/// <param name="AccountId">The account key.</param>
public sealed record GetMe(Guid CommandId, string AccountId);
