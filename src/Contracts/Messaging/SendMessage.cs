namespace TgFleet.Contracts.Messaging;

/// <summary>
/// Sends <paramref name="Text"/> from <paramref name="AccountId"/> to <paramref name="To"/>.
/// Answered by <see cref="MessageSent"/> or <see cref="MessageFailed"/>; a redelivery with the same
/// <paramref name="CommandId"/> never sends twice, it repeats the recorded outcome.
/// </summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The sending account's key.</param>
/// <param name="To">The recipient.</param>
/// <param name="Text">The text (1 to 4,096 UTF-16 code units after formatting).</param>
public sealed record SendMessage(Guid CommandId, string AccountId, Recipient To, string Text)
{
    /// <summary>How <see cref="Text"/> is formatted.</summary>
    public TextFormat Format { get; init; }

    /// <summary>Explicit entities for <see cref="TextFormat.Plain"/> text.</summary>
    public IReadOnlyList<TextEntity>? Entities { get; init; }

    /// <summary>Send without a notification sound.</summary>
    public bool Silent { get; init; }
}
