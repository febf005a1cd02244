namespace TgFleet.Contracts.Accounts;

/// <summary>Connects the account directly (or through the fleet's proxy pool, when one is configured).</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
public sealed record ClearAccountProxy(Guid CommandId, string AccountId);
