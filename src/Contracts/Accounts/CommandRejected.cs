namespace TgFleet.Contracts.Accounts;

/// <summary>A command was not executed because it is invalid or unreadable; nothing was sent to Telegram.</summary>
/// <param name="CommandId">The rejected command's id.</param>
/// <param name="AccountId">Its account key (as given; may be empty when that is what was wrong).</param>
/// <param name="Command">Its message type name, e.g. <c>SendMessage</c>.</param>
/// <param name="Field">The offending field, e.g. <c>Phone</c>.</param>
/// <param name="Reason">A machine-readable reason, e.g. <c>PHONE_MALFORMED</c>, <c>ACCOUNT_UNKNOWN</c>, <c>TEXT_EMPTY</c>.</param>
/// <param name="Timestamp">When it was rejected.</param>
public sealed record CommandRejected(Guid CommandId, string AccountId, string Command, string Field, string Reason, DateTimeOffset Timestamp)
{
    /// <summary>A human-readable explanation.</summary>
    public string? Detail { get; init; }

    /// <summary>The envelope's messageId, set for a message that could not be read (<c>MESSAGE_MALFORMED</c>) or failed (<c>COMMAND_FAILED</c>).</summary>
    public Guid? MessageId { get; init; }
}
