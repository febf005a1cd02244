using TgFleet.Contracts.Accounts;
using TgFleet.Gate;
using TgFleet.Worker.Accounts;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Fencing;

/// <summary>
/// THE one place that decides how an account's TDLib connections leave the worker: through the
/// egress gate (TDLib's only proxy is the gate, SOCKS5 with the account id as username and the
/// account's own proxy, which the gate chains, as password; docs/fencing.md), or, with
/// <c>Gate:Mode=Off</c>, directly or through the account's own proxy as before.
/// </summary>
public sealed class EgressRoute
{
    private readonly string? _host;
    private readonly int _port;

    private EgressRoute(string? host, int port)
    {
        _host = host;
        _port = port;
    }

    /// <summary>No gate.</summary>
    public static EgressRoute Direct { get; } = new(null, 0);

    /// <summary>Through the gate at <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static EgressRoute ThroughGate(string host, int port) => new(host, port);

    /// <summary>True when connections go through a gate.</summary>
    public bool Gated => _host is not null;

    /// <summary>
    /// The proxy TDLib must use for <paramref name="accountId"/> whose own proxy is
    /// <paramref name="own"/> (null: none), or null for a direct connection. An account with an
    /// MTProto proxy cannot be chained through the gate (TDLib speaks MTProto to it, not SOCKS5): it
    /// gets the gate with a route the gate refuses, so it never connects unfenced.
    /// </summary>
    public Td.Proxy? ProxyFor(string accountId, ProxySettings? own)
    {
        if (_host is null)
        {
            return own is null ? null : AccountRuntime.TdProxy(own);
        }

        var upstream = own switch
        {
            null => "-",
            { Kind: ProxyKind.Socks5 } => Upstream.Describe("socks5", own.Server, own.Port, own.Username, own.Password),
            { Kind: ProxyKind.Http } => Upstream.Describe("http", own.Server, own.Port, own.Username, own.Password),
            _ => "mtproto-is-not-chained",
        };
        return new Td.Proxy
        {
            Server = _host,
            Port = _port,
            Type = new Td.ProxyTypeSocks5 { Username = accountId, Password = upstream },
        };
    }
}
