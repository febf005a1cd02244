using TgFleet.Contracts.Accounts;
using TgFleet.Tdlib;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Fencing;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Proxies;

/// <summary>
/// The proxy one account's client connects through, always by way of the worker's
/// <see cref="EgressRoute"/> (the egress gate, docs/fencing.md): set at start, changed by commands
/// and failovers, each change published as <see cref="AccountProxyChanged"/>.
/// </summary>
public sealed partial class AccountProxyRoute
{
    private readonly IAccountClient _account;
    private readonly EgressRoute _egress;
    private readonly AccountEventReporter _reporter;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal AccountProxyRoute(IAccountClient account, EgressRoute egress, AccountEventReporter reporter, TimeSpan timeout, TimeProvider time, ILogger logger)
    {
        _account = account;
        _egress = egress;
        _reporter = reporter;
        _timeout = timeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>The proxy the client uses now (null: direct).</summary>
    public ProxySettings? Current { get; private set; }

    /// <summary>
    /// Makes <paramref name="proxy"/> the client's only proxy (null: connect directly), through the
    /// egress gate when there is one (<see cref="EgressRoute"/>), and publishes
    /// <see cref="AccountProxyChanged"/> with <paramref name="reason"/>. TDLib keeps proxies in its
    /// database, so every proxy it had is removed first.
    /// </summary>
    public async Task UseProxyAsync(ProxySettings? proxy, string reason, Guid commandId = default, string? previous = null,
        CancellationToken cancellationToken = default)
    {
        if (_account.Client is not { } client || client.Closed.IsCompleted)
        {
            Current = proxy;
            return;
        }

        await RouteAsync(client, proxy, added: null, cancellationToken);
        Current = proxy;
        Log.ProxyChanged(_logger, _account.AccountId, proxy is null ? "direct" : AccountProxies.Key(proxy), reason);
        var changed = new AccountProxyChanged(_account.AccountId, reason, _time.GetUtcNow())
        {
            CommandId = commandId,
            Kind = proxy?.Kind,
            Server = proxy?.Server,
            Port = proxy?.Port,
            Previous = previous,
        };
        await _reporter.PublishAsync(changed, CancellationToken.None);
    }

    /// <summary>
    /// A new client's first route, sent before its parameters (TDLib queues it and applies it
    /// first), so that its very first connection already goes the way <see cref="EgressRoute"/>
    /// says; null when it connects directly. Finish with <see cref="RouteAsync"/> once TDLib has its parameters.
    /// </summary>
    internal async Task<Task<Td.AddedProxy>?> FirstRouteAsync(TdClient client, ProxySettings? proxy, CancellationToken cancellationToken) =>
        await _egress.ProxyForAsync(_account.AccountId, proxy, cancellationToken) is { } first
            ? client.SendAsync(new Td.AddProxy { Proxy = first, Enable = true, Comment = "tgfleet" }, _timeout, cancellationToken)
            : null;

    /// <summary>
    /// Routes the client as <see cref="EgressRoute"/> says for <paramref name="proxy"/>: the new
    /// proxy is added and enabled first (unless <paramref name="added"/> already is it), then every
    /// other one TDLib kept is removed, so there is no moment without the gate.
    /// </summary>
    internal async Task RouteAsync(TdClient client, ProxySettings? proxy, int? added, CancellationToken cancellationToken)
    {
        var existing = await client.SendAsync(new Td.GetProxies(), _timeout, cancellationToken);
        if (added is null && await _egress.ProxyForAsync(_account.AccountId, proxy, cancellationToken) is { } route)
        {
            added = (await client.SendAsync(new Td.AddProxy { Proxy = route, Enable = true, Comment = "tgfleet" }, _timeout, cancellationToken)).Id;
        }

        foreach (var other in existing.Proxies ?? [])
        {
            if (other.Id != added)
            {
                await client.SendAsync(new Td.RemoveProxy { ProxyId = other.Id }, _timeout, cancellationToken);
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

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ProxyChanged, Level = LogLevel.Information, Message = "Account {AccountId} connects through {Proxy} ({Reason})")]
        internal static partial void ProxyChanged(ILogger logger, string accountId, string proxy, string reason);
    }
}
