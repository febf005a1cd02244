namespace TgFleet.Contracts.Accounts;

/// <summary>An account's operational status changed.</summary>
/// <param name="AccountId">The upstream-chosen account key.</param>
/// <param name="Status">The new status.</param>
/// <param name="Timestamp">When the worker saw it.</param>
public sealed record AccountStatusChanged(string AccountId, AccountStatus Status, DateTimeOffset Timestamp)
{
    /// <summary>The command that caused it, or <see cref="Guid.Empty"/>.</summary>
    public Guid CommandId { get; init; }

    /// <summary>With <see cref="AccountStatus.FloodWait"/>: the moment sending may resume.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>A machine-readable reason (e.g. <c>PEER_FLOOD</c>, <c>USER_DEACTIVATED_BAN</c>).</summary>
    public string? Reason { get; init; }
}
