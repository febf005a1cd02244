using System.Runtime.CompilerServices;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.RabbitMqTransport;
using TgFleet.Contracts.Addressing;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// One shard endpoint's account lanes: commands of one account run in delivery order, one at a
/// time; commands of different accounts run concurrently (up to the worker's bound). The endpoint
/// dispatches its deliveries concurrently, and dispatching may start them in any order, so order
/// is restored in two steps, each of which holds by construction (docs/messaging.md, "Order"):
/// <list type="number">
/// <item><see cref="DeliveryOrderFilter"/>, first on the receive pipe: RabbitMQ numbers a channel's
/// deliveries 1, 2, 3, … (the delivery tag); delivery N enters the pipe only after delivery N-1 has
/// been admitted, so deliveries are admitted strictly in the channel's delivery order;</item>
/// <item><see cref="AccountLaneFilter{T}"/>, first on each per-account command's consume pipe:
/// admission is appending the delivery to its account's lane, a chain in which each command starts
/// when the one before it has ended.</item>
/// </list>
/// Waiting in a lane holds only the delivery, never a running slot, so no command waits for another
/// account's command (within the shard's window of unacknowledged deliveries, Commands:ShardWindow).
/// On <see cref="Close"/> (the shard is stopped) every delivery still waiting is handed back to the
/// queue unexecuted, and the endpoint waits only for the commands already running.
/// </summary>
public sealed partial class AccountLanes : IDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _running;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<object, DeliverySequence> _sequences = [];
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Lanes whose running commands take slots of <paramref name="running"/> (shared by the worker's shards).</summary>
    public AccountLanes(SemaphoreSlim running, ILogger logger)
    {
        _running = running;
        _logger = logger;
    }

    /// <summary>Accounts with a command running or waiting.</summary>
    public int Busy
    {
        get
        {
            lock (_gate)
            {
                return _lanes.Count;
            }
        }
    }

    /// <summary>Puts the lanes on <paramref name="endpoint"/>: call before its consumers are configured.</summary>
    public void Configure(IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.ConfigureReceive(receive => receive.UseFilter(new DeliveryOrderFilter(this)));
        var add = typeof(AccountLanes).GetMethod(nameof(AddLane), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        foreach (var type in ShardSending.PerAccountTypes)
        {
            add.MakeGenericMethod(type).Invoke(this, [endpoint]);
        }
    }

    /// <summary>Hands every waiting delivery back to the queue and admits no more; running commands finish.</summary>
    public void Close() => _closed.Cancel();

    /// <inheritdoc />
    public void Dispose() => _closed.Dispose();

    private void AddLane<T>(IReceiveEndpointConfigurator endpoint)
        where T : class => endpoint.AddPipeSpecification(new LaneSpecification<T>(this));

    /// <summary>Waits (cancellably) until every earlier delivery of the channel is admitted; returns the admission.</summary>
    private async Task<Admission?> TurnAsync(ReceiveContext context)
    {
        if (!context.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery) || !context.TryGetPayload<ChannelContext>(out var channel))
        {
            return null;
        }

        DeliverySequence sequence;
        lock (_gate)
        {
            sequence = _sequences.GetOrCreateValue(channel);
        }

        var admission = new Admission(sequence, delivery.DeliveryTag);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _closed.Token);
        try
        {
            await sequence.TurnAsync(delivery.DeliveryTag).WaitAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            admission.Admit();
            throw;
        }

        return admission;
    }

    /// <summary>Appends a command of <paramref name="accountId"/> to its lane, admits it, and runs it in its turn.</summary>
    private async Task RunInLaneAsync(string accountId, Admission? admission, Func<Task> run, CancellationToken cancellationToken)
    {
        Task previous;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Lane lane;
        lock (_gate)
        {
            if (!_lanes.TryGetValue(accountId, out lane!))
            {
                lane = new Lane();
                _lanes[accountId] = lane;
            }

            previous = lane.Tail;
            lane.Tail = done.Task;
            lane.Queued++;
        }

        admission?.Admit();
        var started = false;
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
            await previous.WaitAsync(stop.Token);
            await _running.WaitAsync(stop.Token);
            started = true;
            await RetryTransientAsync(accountId, run, stop.Token);
        }
        finally
        {
            if (started)
            {
                _running.Release();
            }

            // A command that never ran still ends only after the one before it: its successors keep their order.
            _ = previous.ContinueWith(_ => Leave(accountId, lane, done), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> again, in place (so the lane keeps its order), after every
    /// infrastructure failure (<see cref="TransientFailure"/>), with capped exponential backoff and
    /// jitter, until it completes, fails for a reason of its own, or the shard stops (then the
    /// delivery goes back to the queue for the shard's next owner).
    /// </summary>
    private async Task RetryTransientAsync(string accountId, Func<Task> run, CancellationToken cancellationToken)
    {
        var backoff = FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await run();
                return;
            }
            catch (Exception e) when (TransientFailure.Is(e))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException("The shard stopped; the command goes back to the queue.", e, cancellationToken);
                }

                var delay = backoff / 2 + backoff / 2 * Random.Shared.NextDouble();
                Log.TransientFailure(_logger, accountId, attempt, delay, e.GetType().Name, e.Message);
                await Task.Delay(delay, cancellationToken);
                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
            }
        }
    }

    private void Leave(string accountId, Lane lane, TaskCompletionSource done)
    {
        lock (_gate)
        {
            if (--lane.Queued == 0)
            {
                _lanes.Remove(accountId);
            }
        }

        done.TrySetResult();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CommandRetried, Level = LogLevel.Warning, Message = "A command of account {AccountId} met an infrastructure failure (attempt {Attempt}); retried in {Delay}: {Error}: {Detail}")]
        internal static partial void TransientFailure(ILogger logger, string accountId, int attempt, TimeSpan delay, string error, string detail);
    }

    /// <summary>One account's chain of commands: each starts when <see cref="Tail"/> (the one before it) has ended.</summary>
    private sealed class Lane
    {
        public Task Tail { get; set; } = Task.CompletedTask;

        public int Queued { get; set; }
    }

    /// <summary>A channel's deliveries in delivery-tag order: tag N's turn comes once tags 1 … N-1 are admitted.</summary>
    private sealed class DeliverySequence
    {
        private readonly Lock _gate = new();
        private readonly HashSet<ulong> _ahead = [];
        private readonly Dictionary<ulong, TaskCompletionSource> _waiting = [];
        private ulong _next = 1;

        public Task TurnAsync(ulong tag)
        {
            lock (_gate)
            {
                if (tag <= _next)
                {
                    return Task.CompletedTask;
                }

                var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting[tag] = turn;
                return turn.Task;
            }
        }

        public void Admit(ulong tag)
        {
            TaskCompletionSource? turn = null;
            lock (_gate)
            {
                if (tag != _next)
                {
                    _ahead.Add(tag);
                    return;
                }

                _next++;
                while (_ahead.Remove(_next))
                {
                    _next++;
                }

                _waiting.Remove(_next, out turn);
            }

            turn?.TrySetResult();
        }
    }

    /// <summary>A delivery's admission; admitted once, by whichever comes first: its lane, or the end of its pipe.</summary>
    private sealed class Admission(DeliverySequence sequence, ulong tag)
    {
        private int _admitted;

        public void Admit()
        {
            if (Interlocked.Exchange(ref _admitted, 1) == 0)
            {
                sequence.Admit(tag);
            }
        }
    }

    /// <summary>First on a shard endpoint's receive pipe: deliveries enter in the channel's delivery order.</summary>
    private sealed class DeliveryOrderFilter(AccountLanes lanes) : IFilter<ReceiveContext>
    {
        public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
        {
            var admission = await lanes.TurnAsync(context);
            if (admission is not null)
            {
                context.GetOrAddPayload(() => admission);
            }

            try
            {
                await next.Send(context);
            }
            finally
            {
                // Not a per-account command (unreadable, unknown type): admitted once it is dealt with.
                admission?.Admit();
            }
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("deliveryOrder");
    }

    private sealed class LaneSpecification<T>(AccountLanes lanes) : IPipeSpecification<ConsumeContext<T>>
        where T : class
    {
        public void Apply(IPipeBuilder<ConsumeContext<T>> builder) => builder.AddFilter(new AccountLaneFilter<T>(lanes));

        public IEnumerable<ValidationResult> Validate() => [];
    }

    /// <summary>First on a per-account command's consume pipe: the command runs in its account's lane.</summary>
    private sealed class AccountLaneFilter<T>(AccountLanes lanes) : IFilter<ConsumeContext<T>>
        where T : class
    {
        public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
        {
            context.ReceiveContext.TryGetPayload<Admission>(out var admission);
            // A missing id gets a lane of its own; validation rejects the command in it.
            var accountId = ShardSending.AccountIdOf(context.Message) ?? string.Empty;
            return lanes.RunInLaneAsync(accountId, admission, () => next.Send(context), context.CancellationToken);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("accountLane");
    }
}
