namespace TgFleet.Contracts.Messaging;

/// <summary>
/// The message of <paramref name="CommandId"/> was not delivered: what Telegram (or the fleet, once
/// the send was accepted) made of it. A refusal before the send took effect (invalid, an unknown
/// account, not logged in, shard not owned) is <c>CommandRejected</c> instead.
/// </summary>
/// <param name="CommandId">The SendMessage command.</param>
/// <param name="AccountId">The sending account's key.</param>
/// <param name="Reason">Machine-readable: Telegram's error text (e.g. <c>USER_PRIVACY_RESTRICTED</c>,
/// <c>PEER_FLOOD</c>, <c>FLOOD_WAIT</c>, <c>USERNAME_NOT_OCCUPIED</c>) or the fleet's
/// (e.g. <c>OUTCOME_UNKNOWN</c>: a crash left it unknown whether it was sent; not retried).</param>
/// <param name="Permanent">True when sending again cannot succeed.</param>
/// <param name="Timestamp">When the worker decided.</param>
public sealed record MessageFailed(Guid CommandId, string AccountId, string Reason, bool Permanent, DateTimeOffset Timestamp)
{
    /// <summary>When it may be tried again (FLOOD_WAIT).</summary>
    public DateTimeOffset? RetryAfter { get; init; }

    /// <summary>A human-readable explanation.</summary>
    public string? Detail { get; init; }
}
