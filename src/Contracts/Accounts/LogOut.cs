namespace TgFleet.Contracts.Accounts;

/// <summary>Logs the account out of Telegram and deletes its session; the account record stays.</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
public sealed record LogOut(Guid CommandId, string AccountId);
