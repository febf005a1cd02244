namespace TgFleet.Contracts.Accounts;

/// <summary>Routes the account's connection through <paramref name="Proxy"/> (its password is encrypted at rest).</summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
/// <param name="Proxy">The proxy.</param>
public sealed record SetAccountProxy(Guid CommandId, string AccountId, ProxySettings Proxy);
