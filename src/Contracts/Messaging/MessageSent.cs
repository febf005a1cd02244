namespace TgFleet.Contracts.Messaging;

/// <summary>Telegram confirmed the message of <paramref name="CommandId"/>.</summary>
/// <param name="CommandId">The SendMessage command.</param>
/// <param name="AccountId">The sending account's key.</param>
/// <param name="ChatId">The Telegram chat it went to.</param>
/// <param name="MessageId">Telegram's message id.</param>
/// <param name="SentAt">When Telegram accepted it.</param>
public sealed record MessageSent(Guid CommandId, string AccountId, long ChatId, long MessageId, DateTimeOffset SentAt);
