using TgFleet.Contracts.Accounts;
using TgFleet.Worker.Proxies;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Accounts;

/// <summary>The proxy the account's client connects through.</summary>
public sealed partial class AccountRuntime
{
    /// <summary>The proxy the client uses now (null: direct).</summary>
    public ProxySettings? CurrentProxy { get; private set; }

    /// <summary>
    /// Makes <paramref name="proxy"/> the client's only proxy (null: connect directly), through the
    /// egress gate when there is one (<see cref="Fencing.EgressRoute"/>), and publishes
    /// <see cref="AccountProxyChanged"/> with <paramref name="reason"/>. TDLib keeps proxies in its
    /// database, so every proxy it had is removed first.
    /// </summary>
    public async Task UseProxyAsync(ProxySettings? proxy, string reason, Guid commandId = default, string? previous = null,
        CancellationToken cancellationToken = default)
    {
        if (_client is not { } client || client.Closed.IsCompleted)
        {
            CurrentProxy = proxy;
            return;
        }

        await RouteAsync(client, proxy, added: null, cancellationToken);
        CurrentProxy = proxy;
        Log.ProxyChanged(_logger, AccountId, proxy is null ? "direct" : AccountProxies.Key(proxy), reason);
        var changed = new AccountProxyChanged(AccountId, reason, _services.Time.GetUtcNow())
        {
            CommandId = commandId,
            Kind = proxy?.Kind,
            Server = proxy?.Server,
            Port = proxy?.Port,
            Previous = previous,
        };
        await SafelyAsync(() => _services.Events.PublishAsync(changed, CancellationToken.None));
    }

    /// <summary>
    /// Routes the client as <see cref="Fencing.EgressRoute"/> says for <paramref name="proxy"/>: the new
    /// proxy is added and enabled first (unless <paramref name="added"/> already is it), then every
    /// other one TDLib kept is removed, so there is no moment without the gate.
    /// </summary>
    private async Task RouteAsync(TgFleet.Tdlib.TdClient client, ProxySettings? proxy, int? added, CancellationToken cancellationToken)
    {
        var timeout = _services.Options.LoginStepTimeout;
        var existing = await client.SendAsync(new Td.GetProxies(), timeout, cancellationToken);
        if (added is null && await _services.Egress.ProxyForAsync(AccountId, proxy, cancellationToken) is { } route)
        {
            added = (await client.SendAsync(new Td.AddProxy { Proxy = route, Enable = true, Comment = "tgfleet" }, timeout, cancellationToken)).Id;
        }

        foreach (var other in existing.Proxies ?? [])
        {
            if (other.Id != added)
            {
                await client.SendAsync(new Td.RemoveProxy { ProxyId = other.Id }, timeout, cancellationToken);
            }
        }
    }

    /// <summary>TDLib's <c>proxy</c> for <paramref name="proxy"/>.</summary>
    internal static Td.Proxy TdProxy(ProxySettings proxy) => new()
    {
        Server = proxy.Server,
        Port = proxy.Port,
        Type = proxy.Kind switch
        {
            ProxyKind.Socks5 => new Td.ProxyTypeSocks5 { Username = proxy.Username ?? string.Empty, Password = proxy.Password ?? string.Empty },
            ProxyKind.Http => new Td.ProxyTypeHttp { Username = proxy.Username ?? string.Empty, Password = proxy.Password ?? string.Empty },
            _ => new Td.ProxyTypeMtproto { Secret = proxy.Secret ?? string.Empty },
        },
    };
}
