using System.Collections.Concurrent;
using System.Globalization;
using MassTransit;
using MassTransit.Transports;
using TgFleet.Contracts.Addressing;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker.Fencing;

/// <summary>
/// What a resumed worker does first (docs/fencing.md): nothing for shards it lost. Tracks the
/// commands running on each shard endpoint so that a lost or fenced shard's are handed back to the
/// queue (cancelled, never faulted) before its endpoint stops.
/// </summary>
public sealed class LapsedShards
{
    private readonly ConcurrentDictionary<ReceiveContext, int> _running = new();

    /// <summary>The shard whose queue <paramref name="context"/> came from, or null (not a shard endpoint).</summary>
    public static int? ShardOf(ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var queue = context.InputAddress.AbsolutePath.TrimEnd('/');
        var name = queue[(queue.LastIndexOf('/') + 1)..];
        return name.StartsWith(ShardAddressing.QueuePrefix, StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(ShardAddressing.QueuePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var shard)
            ? shard
            : null;
    }

    /// <summary>Notes a command running on <paramref name="shard"/>'s endpoint until the returned handle is disposed.</summary>
    internal IDisposable Running(ReceiveContext context, int shard)
    {
        _running[context] = shard;
        return new Handle(this, context);
    }

    /// <summary>
    /// Cancels every command running on <paramref name="shard"/>'s endpoint: MassTransit then neither
    /// faults nor acknowledges them, and they return to the queue for the shard's next owner when the
    /// endpoint's channel closes.
    /// </summary>
    public void HandBack(int shard)
    {
        foreach (var (context, of) in _running)
        {
            if (of == shard && context is BaseReceiveContext cancellable)
            {
                cancellable.Cancel();
            }
        }
    }

    private sealed class Handle(LapsedShards owner, ReceiveContext context) : IDisposable
    {
        public void Dispose() => owner._running.TryRemove(context, out _);
    }
}

/// <summary>
/// On every shard endpoint, before any consumer: a command for a shard whose lease lapsed (the
/// worker resumed from a pause, or lost the shard) is not consumed but handed back to the queue; a
/// command that fails because its shard was lost meanwhile is handed back too (no Fault, no
/// <c>_error</c>).
/// </summary>
public sealed class ShardLeaseFilter<T>(ShardOwnership ownership, LapsedShards lapsed) : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (LapsedShards.ShardOf(context.ReceiveContext) is not { } shard)
        {
            await next.Send(context);
            return;
        }

        if (ownership.IsLapsed(shard))
        {
            ownership.FenceNow();
            // Not rescued by MassTransit: the delivery is returned to the queue, not faulted.
            throw new OperationCanceledException($"Shard {shard}'s lease lapsed: the command goes back to its queue.");
        }

        using var answers = DroppedEvents.Watch();
        using (lapsed.Running(context.ReceiveContext, shard))
        {
            try
            {
                await next.Send(context);
            }
            catch (Exception e) when (e is not OperationCanceledException && ownership.IsLapsed(shard))
            {
                throw new OperationCanceledException($"Shard {shard}'s lease lapsed while the command ran: it goes back to its queue.", e);
            }
        }

        if (answers.Dropped)
        {
            // The command's answer was not published (its shard's lease lapsed meanwhile): acknowledging
            // the delivery would leave its publisher without one. It goes back to the queue (nacked
            // while the channel is open), and the shard's next owner answers it.
            throw new OperationCanceledException($"Shard {shard}'s lease lapsed before the command's answer was published: it goes back to its queue.");
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("shard-lease");
}

/// <summary>
/// On every publish of the worker: an event about an account whose shard's lease lapsed is not
/// published (its next owner reports what happens to its commands). The publisher learns of the
/// drop through <see cref="DroppedEvents"/>: a command's delivery is then handed back rather than
/// acknowledged, and a send's recorded outcome stays in the outbox for the next owner.
/// </summary>
public sealed class ShardLeasePublishFilter<T>(ShardOwnership ownership, Microsoft.Extensions.Options.IOptions<ShardOptions> options) : IFilter<PublishContext<T>>
    where T : class
{
    private static readonly Func<T, string?>? AccountIdOf = typeof(T).GetProperty("AccountId") is { PropertyType.Name: "String" } property
        ? message => (string?)property.GetValue(message)
        : null;

    public Task Send(PublishContext<T> context, IPipe<PublishContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (AccountIdOf?.Invoke(context.Message) is { Length: > 0 } accountId
            && ownership.IsLapsed(ShardAddressing.ShardOf(accountId, options.Value.Count)))
        {
            DroppedEvents.NoteDropped();
            return Task.CompletedTask;
        }

        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("shard-lease-publish");
}

/// <summary>
/// Tells a publisher whether <see cref="ShardLeasePublishFilter{T}"/> dropped what it published: a
/// watch started on an async flow sees the drops of the publishes awaited on that flow, until it is
/// disposed. Only the innermost open watch is told, so that a send's outcome followed by a task that
/// its command started is not taken for that command's answer.
/// </summary>
public sealed class DroppedEvents : IDisposable
{
    private static readonly AsyncLocal<DroppedEvents?> Current = new();
    private readonly DroppedEvents? _outer;
    private bool _closed;

    private DroppedEvents(DroppedEvents? outer) => _outer = outer;

    /// <summary>Whether an event published under this watch was dropped.</summary>
    public bool Dropped { get; private set; }

    /// <summary>Starts a watch on the current flow (a synchronous call, so the caller's flow keeps it).</summary>
    public static DroppedEvents Watch()
    {
        var watch = new DroppedEvents(Current.Value);
        Current.Value = watch;
        return watch;
    }

    /// <summary>The publish filter dropped an event on the current flow.</summary>
    internal static void NoteDropped()
    {
        if (Current.Value is { _closed: false } watch)
        {
            watch.Dropped = true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _closed = true;
        if (Current.Value == this)
        {
            Current.Value = _outer;
        }
    }
}

/// <summary>
/// Wraps the shard host: a shard that was lost or fenced has its running commands handed back
/// (<see cref="LapsedShards.HandBack"/>) before its endpoint stops.
/// </summary>
public sealed class HandBackOnLoss(IShardHost inner, LapsedShards lapsed) : IShardHost
{
    public Task StartAsync(ShardLease lease, CancellationToken cancellationToken) => inner.StartAsync(lease, cancellationToken);

    public Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (reason is ShardStopReason.Lost or ShardStopReason.Fenced)
        {
            lapsed.HandBack(lease.Shard);
        }

        return inner.StopAsync(lease, reason, cancellationToken);
    }
}
