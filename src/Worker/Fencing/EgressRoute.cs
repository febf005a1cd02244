using System.Collections.Concurrent;
using TgFleet.Contracts.Accounts;
using TgFleet.Gate;
using TgFleet.Worker.Proxies;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Fencing;

/// <summary>
/// THE one place that decides how an account's TDLib connections leave the worker: through the
/// egress gate (TDLib's only proxy is the gate: SOCKS5 with the account id as username and the
/// account's own SOCKS5 or HTTP proxy, which the gate chains, as password, or the account's MTProto
/// relay on the gate; docs/fencing.md), or, with
/// <c>Gate:Mode=Off</c>, directly or through the account's own proxy as before.
/// </summary>
public sealed class EgressRoute
{
    private readonly string? _host;
    private readonly int _port;
    private readonly ConcurrentDictionary<string, (ProxySettings Own, int Port)> _relays = new(StringComparer.Ordinal);

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
    /// <paramref name="own"/> (null: none), or null for a direct connection. Through the gate, a
    /// SOCKS5 or HTTP proxy is chained (SOCKS5 to the gate, the proxy as its password); an MTProto
    /// proxy is relayed: the gate is asked for the account's relay port, which TDLib then uses as
    /// the MTProto proxy with the real one's secret. When the gate refuses (no valid lease) or
    /// cannot be reached, the account gets a route the gate refuses, so it never connects unfenced.
    /// </summary>
    public async Task<Td.Proxy?> ProxyForAsync(string accountId, ProxySettings? own, CancellationToken cancellationToken)
    {
        if (_host is null)
        {
            return own is null ? null : AccountProxyRoute.TdProxy(own);
        }

        if (own is { Kind: ProxyKind.MtProto } && await RelayAsync(accountId, own, cancellationToken) is { } relay)
        {
            return new Td.Proxy { Server = _host, Port = relay, Type = new Td.ProxyTypeMtproto { Secret = own.Secret ?? string.Empty } };
        }

        var upstream = own switch
        {
            null => "-",
            { Kind: ProxyKind.Socks5 } => Upstream.Describe("socks5", own.Server, own.Port, own.Username, own.Password),
            { Kind: ProxyKind.Http } => Upstream.Describe("http", own.Server, own.Port, own.Username, own.Password),
            _ => "mtproto-relay-refused",
        };
        return new Td.Proxy
        {
            Server = _host,
            Port = _port,
            Type = new Td.ProxyTypeSocks5 { Username = accountId, Password = upstream },
        };
    }

    /// <summary>
    /// Asks the gate again for every relay this worker was given, on the same ports: a gate that
    /// restarted (the child, or the pod's sidecar) listens on them again. A relay refused (the
    /// account's shard is no longer this worker's) is forgotten.
    /// </summary>
    public async Task RenewRelaysAsync(CancellationToken cancellationToken)
    {
        foreach (var (accountId, relay) in _relays)
        {
            if (await MtprotoRelayRequest.RegisterAsync(_host!, _port, accountId, relay.Own.Server, relay.Own.Port, relay.Port, cancellationToken) is null)
            {
                _relays.TryRemove(new KeyValuePair<string, (ProxySettings, int)>(accountId, relay));
            }
        }
    }

    private async Task<int?> RelayAsync(string accountId, ProxySettings own, CancellationToken cancellationToken)
    {
        var preferred = _relays.TryGetValue(accountId, out var known) ? known.Port : 0;
        var port = await MtprotoRelayRequest.RegisterAsync(_host!, _port, accountId, own.Server, own.Port, preferred, cancellationToken);
        if (port is { } relay)
        {
            _relays[accountId] = (own, relay);
        }

        return port;
    }
}
