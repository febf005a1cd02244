namespace TgFleet.Contracts.Accounts;

/// <summary>The kinds of proxy TDLib supports.</summary>
public enum ProxyKind
{
    /// <summary>SOCKS5.</summary>
    Socks5 = 1,

    /// <summary>HTTP CONNECT.</summary>
    Http = 2,

    /// <summary>Telegram's MTProto proxy.</summary>
    MtProto = 3,
}
