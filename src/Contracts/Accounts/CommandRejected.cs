namespace TgFleet.Contracts.Accounts;

/// <summary>
/// A command was refused before it took effect (invalid, unreadable, or not executable now); nothing
/// was sent to Telegram. Every refusal of every command type, SendMessage included, is this event;
/// what Telegram made of an accepted send is <c>MessageFailed</c>.
/// </summary>
/// <param name="CommandId">The rejected command's id.</param>
/// <param name="AccountId">Its account key (as given; may be empty when that is what was wrong).</param>
/// <param name="Command">Its message type name, e.g. <c>SendMessage</c>.</param>
/// <param name="Field">The offending field, e.g. <c>Phone</c>.</param>
/// <param name="Reason">A machine-readable reason, e.g. <c>PHONE_MALFORMED</c>, <c>ACCOUNT_UNKNOWN</c>, <c>TEXT_EMPTY</c>, <c>ACCOUNT_NOT_READY</c>.</param>
/// <param name="Timestamp">When it was rejected.</param>
public sealed record CommandRejected(Guid CommandId, string AccountId, string Command, string Field, string Reason, DateTimeOffset Timestamp)
{
    /// <summary>
    /// False for "not now" (<c>ACCOUNT_NOT_READY</c>, <c>SHARD_NOT_OWNED</c>; for a query also
    /// <c>TDLIB_TIMEOUT</c> and <c>FLOOD_WAIT_N</c>): nothing was recorded, and the same command
    /// with the same CommandId may succeed later. True (also when absent, as from publishers
    /// before this field) when sending it again cannot succeed.
    /// </summary>
    public bool Permanent { get; init; } = true;

    /// <summary>A human-readable explanation.</summary>
    public string? Detail { get; init; }

    /// <summary>The envelope's messageId, set for a message that could not be read (<c>MESSAGE_MALFORMED</c>) or failed (<c>COMMAND_FAILED</c>).</summary>
    public Guid? MessageId { get; init; }
}
