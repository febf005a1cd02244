namespace TgFleet.Contracts.Accounts;

/// <summary>A proxy for an account's Telegram connection.</summary>
/// <param name="Kind">SOCKS5, HTTP or MTProto.</param>
/// <param name="Server">Host name or address.</param>
/// <param name="Port">TCP port.</param>
public sealed record ProxySettings(ProxyKind Kind, string Server, int Port)
{
    /// <summary>User name (SOCKS5, HTTP).</summary>
    public string? Username { get; init; }

    /// <summary>Password (SOCKS5, HTTP); encrypted at rest, never logged.</summary>
    public string? Password { get; init; }

    /// <summary>The MTProto proxy's secret (hex); encrypted at rest, never logged.</summary>
    public string? Secret { get; init; }
}
