using TgFleet.Contracts.Accounts;

namespace TgFleet.Contracts.Queries;

/// <summary>An account as the fleet knows it (no secrets; the phone masked).</summary>
/// <param name="AccountId">The account key.</param>
/// <param name="PhoneMasked">The phone with its middle digits masked, e.g. <c>+4477*****123</c>.</param>
/// <param name="Status">The operational status.</param>
/// <param name="Shard">The virtual shard it belongs to.</param>
public sealed record AccountInfo(string AccountId, string? PhoneMasked, AccountStatus Status, int Shard)
{
    /// <summary>Its Telegram user id, once logged in.</summary>
    public long? TelegramUserId { get; init; }

    /// <summary>With <see cref="AccountStatus.FloodWait"/>: when sending may resume.</summary>
    public DateTimeOffset? FloodWaitUntil { get; init; }
}
