namespace TgFleet.Contracts.Accounts;

/// <summary>Logs the account out (when logged in) and removes it and its session from the fleet.</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
public sealed record RemoveAccount(Guid CommandId, string AccountId);
