using System.Collections.Concurrent;
using MassTransit;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;

namespace TgFleet.FleetBench;

/// <summary>
/// The benchmark's own bus on the fleet's virtual host: it sends the commands and consumes the
/// worker's events (MessageSent, MessageFailed, AuthenticationStateChanged, CommandRejected) on one
/// queue, completing whoever waits for them.
/// </summary>
internal sealed class BenchBus : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<SendOutcome>> _sends = new();
    private readonly ConcurrentDictionary<string, StateWaiter> _logins = new(StringComparer.Ordinal);

    private BenchBus(Uri amqp)
    {
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(amqp);
            cfg.ReceiveEndpoint("fleetbench.events", e =>
            {
                e.PrefetchCount = 512;
                e.Handler<MessageSent>(c =>
                {
                    Complete(c.Message.CommandId, new SendOutcome(true, null));
                    return Task.CompletedTask;
                });
                e.Handler<MessageFailed>(c =>
                {
                    Complete(c.Message.CommandId, new SendOutcome(false, c.Message.Reason));
                    return Task.CompletedTask;
                });
                e.Handler<AuthenticationStateChanged>(c =>
                {
                    OnState(c.Message.AccountId, c.Message.State, c.Message.Reason);
                    return Task.CompletedTask;
                });
                e.Handler<CommandRejected>(c =>
                {
                    OnState(c.Message.AccountId, null, $"{c.Message.Command} rejected: {c.Message.Reason}");
                    Complete(c.Message.CommandId, new SendOutcome(false, c.Message.Reason));
                    return Task.CompletedTask;
                });
            });
        });
    }

    public IBus Bus => _bus;

    public static async Task<BenchBus> StartAsync(Uri amqp, CancellationToken cancellationToken)
    {
        var bus = new BenchBus(amqp);
        await bus._bus.StartAsync(cancellationToken);
        return bus;
    }

    /// <summary>A task for the outcome of <paramref name="commandId"/>; call before sending it.</summary>
    public Task<SendOutcome> ExpectOutcome(Guid commandId)
    {
        var waiter = new TaskCompletionSource<SendOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _sends[commandId] = waiter;
        return waiter.Task;
    }

    /// <summary>A task that completes when <paramref name="accountId"/> reports <paramref name="state"/> and fails when it reports Failed or LoggedOut.</summary>
    public Task ExpectState(string accountId, AuthenticationState state)
    {
        var waiter = new StateWaiter(state);
        _logins[accountId] = waiter;
        return waiter.Done.Task;
    }

    public ValueTask DisposeAsync() => new(_bus.StopAsync());

    private void Complete(Guid commandId, SendOutcome outcome)
    {
        if (_sends.TryRemove(commandId, out var waiter))
        {
            waiter.TrySetResult(outcome);
        }
    }

    private void OnState(string accountId, AuthenticationState? state, string? reason)
    {
        if (!_logins.TryGetValue(accountId, out var waiter))
        {
            return;
        }

        if (state == waiter.State)
        {
            _logins.TryRemove(new KeyValuePair<string, StateWaiter>(accountId, waiter));
            waiter.Done.TrySetResult();
        }
        else if (state is null or AuthenticationState.Failed or AuthenticationState.LoggedOut)
        {
            _logins.TryRemove(new KeyValuePair<string, StateWaiter>(accountId, waiter));
            waiter.Done.TrySetException(new InvalidOperationException($"Account {accountId}: {state?.ToString() ?? "rejected"} {reason}"));
        }
    }

    public sealed record SendOutcome(bool Sent, string? Reason);

    private sealed record StateWaiter(AuthenticationState State)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
