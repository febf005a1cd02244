namespace TgFleet.Contracts.Accounts;

/// <summary>
/// The proxy an account connects through changed (never carries a password or secret).
/// <see cref="Server"/> is null when the account now connects directly.
/// </summary>
/// <param name="AccountId">The upstream-chosen account key.</param>
/// <param name="Reason">Why: <c>SET</c> (SetAccountProxy), <c>CLEARED</c> (ClearAccountProxy),
/// <c>POOL_ASSIGNED</c> (taken from the fleet's pool at start), <c>FAILOVER</c> (its proxy failed
/// its health check; moved to a healthy one of the pool).</param>
/// <param name="Timestamp">When the worker changed it.</param>
public sealed record AccountProxyChanged(string AccountId, string Reason, DateTimeOffset Timestamp)
{
    /// <summary>The command that caused it, or <see cref="Guid.Empty"/>.</summary>
    public Guid CommandId { get; init; }

    /// <summary>The proxy's kind, when there is one.</summary>
    public ProxyKind? Kind { get; init; }

    /// <summary>The proxy's host, when there is one.</summary>
    public string? Server { get; init; }

    /// <summary>The proxy's port, when there is one.</summary>
    public int? Port { get; init; }

    /// <summary>With <c>FAILOVER</c>: the proxy that failed, as <c>host:port</c>.</summary>
    public string? Previous { get; init; }
}
