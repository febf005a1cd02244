using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Storage.Accounts;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Proxies;

/// <summary>
/// SetAccountProxy and ClearAccountProxy, after the command pipeline (<see cref="CommandFilter{T}"/>)
/// has validated and journalled them: stored (the password or secret encrypted), and applied at
/// once when the account's client runs here; an account not logged in yet keeps the setting for
/// its login. Done before, nothing is done again.
/// </summary>
public sealed class AccountProxyCommands(AccountRegistry registry, AccountProxies proxies, AccountStore accounts, IAccountEvents events, TimeProvider time)
{
    /// <summary>Sets (<paramref name="proxy"/>) or clears (null) the account's own proxy.</summary>
    public async Task HandleAsync(ConsumeContext context, Guid commandId, string accountId, ProxySettings? proxy)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.CancellationToken;
        if (context.IsReplay())
        {
            return;
        }

        if (proxy is not null)
        {
            if (await accounts.StatusAsync(accountId, ct) is null)
            {
                // Set before the first login: the login itself goes through the proxy.
                await accounts.UpsertAsync(accountId, registry.ShardOf(accountId), null, AccountRowStatus.New, ct);
            }

            await proxies.SaveAsync(accountId, proxy, ct);
        }
        else
        {
            await proxies.DeleteAsync(accountId, ct);
        }

        var reason = proxy is null ? "CLEARED" : "SET";
        if (registry.Find(accountId) is { IsClosed: false } runtime)
        {
            // Cleared: back to the pool when there is one, else direct.
            var next = proxy ?? proxies.PickFromPool(registry.Running.Where(r => r != runtime).Select(r => r.Proxy.Current));
            await runtime.Proxy.UseProxyAsync(next, next is null || proxy is not null ? reason : "POOL_ASSIGNED", commandId, cancellationToken: ct);
        }
        else
        {
            await events.PublishAsync(new AccountProxyChanged(accountId, reason, time.GetUtcNow())
            {
                CommandId = commandId,
                Kind = proxy?.Kind,
                Server = proxy?.Server,
                Port = proxy?.Port,
            }, ct);
        }
    }
}

/// <summary>Routes an account through its own proxy.</summary>
public sealed class SetAccountProxyConsumer(AccountProxyCommands commands) : IConsumer<SetAccountProxy>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<SetAccountProxy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return commands.HandleAsync(context, context.Message.CommandId, context.Message.AccountId, context.Message.Proxy);
    }
}

/// <summary>Forgets an account's own proxy (the pool's, or direct, from now on).</summary>
public sealed class ClearAccountProxyConsumer(AccountProxyCommands commands) : IConsumer<ClearAccountProxy>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ClearAccountProxy> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return commands.HandleAsync(context, context.Message.CommandId, context.Message.AccountId, proxy: null);
    }
}
