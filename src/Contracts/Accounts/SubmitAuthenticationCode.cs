namespace TgFleet.Contracts.Accounts;

/// <summary>The login code Telegram sent to the account's devices; never logged or stored.</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
/// <param name="Code">The code.</param>
public sealed record SubmitAuthenticationCode(Guid CommandId, string AccountId, string Code);
