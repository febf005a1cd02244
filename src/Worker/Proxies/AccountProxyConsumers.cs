using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Proxies;

/// <summary>
/// SetAccountProxy and ClearAccountProxy: validated, journalled once per command id, stored (the
/// password or secret encrypted), and applied at once when the account's client runs here; an
/// account not logged in yet keeps the setting for its login.
/// </summary>
public sealed class AccountProxyCommands(AccountRegistry registry, AccountProxies proxies, AccountStore accounts, CommandJournal journal,
    CommandRejections rejections, IAccountEvents events, WorkerMetrics metrics, TimeProvider time)
{
    /// <summary>Sets (<paramref name="proxy"/>) or clears (null) the account's own proxy.</summary>
    public async Task HandleAsync<T>(ConsumeContext<T> context, Guid commandId, string accountId, ProxySettings? proxy)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = typeof(T).Name;
        var started = time.GetTimestamp();
        var outcome = "failed";
        try
        {
            outcome = await RunAsync(context, commandId, accountId, proxy, command);
        }
        finally
        {
            metrics.Command(command, outcome, time.GetElapsedTime(started));
        }
    }

    private async Task<string> RunAsync<T>(ConsumeContext<T> context, Guid commandId, string accountId, ProxySettings? proxy, string command)
        where T : class
    {
        var ct = context.CancellationToken;
        if (CommandValidator.Validate(context.Message) is { } problem)
        {
            await rejections.PublishAsync(context, commandId, accountId, command, problem);
            return "rejected";
        }

        if (await journal.BeginAsync(commandId, accountId, command, ct) is { State: not CommandState.Accepted })
        {
            return "replayed";
        }

        if (proxy is not null)
        {
            if (await accounts.StatusAsync(accountId, ct) is null)
            {
                // Set before the first login: the login itself goes through the proxy.
                await accounts.UpsertAsync(accountId, registry.ShardOf(accountId), null, "new", ct);
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
            var next = proxy ?? proxies.PickFromPool(registry.Running.Where(r => r != runtime).Select(r => r.CurrentProxy));
            await runtime.UseProxyAsync(next, next is null || proxy is not null ? reason : "POOL_ASSIGNED", commandId, cancellationToken: ct);
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

        await journal.MoveAsync(commandId, CommandState.Accepted, CommandState.Succeeded, null, ct);
        return "succeeded";
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
