namespace TgFleet.Contracts.Accounts;

/// <summary>The account's two-step verification password; never logged or stored.</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
/// <param name="Password">The password.</param>
public sealed record SubmitAuthenticationPassword(Guid CommandId, string AccountId, string Password);
