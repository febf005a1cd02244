namespace TgFleet.Contracts.Messaging;

/// <summary>A message arrived for <paramref name="AccountId"/>.</summary>
/// <param name="AccountId">The receiving account's key.</param>
/// <param name="ChatId">The chat it arrived in.</param>
/// <param name="MessageId">Telegram's message id.</param>
/// <param name="SenderUserId">The sending user (0 when a chat sent it).</param>
/// <param name="Text">Its text (empty for non-text messages).</param>
/// <param name="SentAt">When it was sent.</param>
public sealed record IncomingMessageReceived(string AccountId, long ChatId, long MessageId, long SenderUserId, string Text, DateTimeOffset SentAt);
