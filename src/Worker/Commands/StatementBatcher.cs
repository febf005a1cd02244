using System.Diagnostics;
using System.Threading.Channels;

namespace TgFleet.Worker.Commands;

/// <summary>
/// Folds the writes of concurrent callers into one database statement per round trip ("natural"
/// batching: nothing waits for a batch to fill; whatever queued while the previous batches ran goes
/// into the next one). Each statement costs PostgreSQL a wake-up, a parse, a plan and a commit,
/// and the worker a pooled connection's round trip, whether it carries one row or fifty, so under
/// load this is most of the database's cost per command. A caller's write is durable when its
/// task completes; when the batch fails, every caller in it gets the exception. A batch runs in an
/// activity of the first caller's trace, linked to the others' (OpenTelemetry's shape for batches),
/// so its database statements show in the trace of the command that asked for them.
/// </summary>
/// <typeparam name="TItem">One caller's write.</typeparam>
/// <typeparam name="TResult">What that caller gets back.</typeparam>
public sealed class StatementBatcher<TItem, TResult> : IAsyncDisposable
{
    private static readonly ActivitySource Source = new("TgFleet.Worker.Journal");
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> _execute;
    private readonly Func<TItem, Guid> _key;
    private readonly Action<int>? _executed;
    private readonly int _maxBatch;
    private readonly SemaphoreSlim _slots;
    private readonly int _maxInFlight;
    private readonly Task _loop;

    /// <param name="execute">Runs one batch; returns one result per item, in the items' order.</param>
    /// <param name="key">Two items with the same key never share a batch (the later one waits for the next).</param>
    /// <param name="maxBatch">The most items in one statement.</param>
    /// <param name="maxInFlight">The most statements running at once.</param>
    /// <param name="executed">Told the size of every batch that ran (for a metric).</param>
    public StatementBatcher(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> execute, Func<TItem, Guid> key, int maxBatch = 128, int maxInFlight = 2,
        Action<int>? executed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _execute = execute;
        _key = key;
        _executed = executed;
        _maxBatch = maxBatch;
        _maxInFlight = maxInFlight;
        _slots = new SemaphoreSlim(maxInFlight, maxInFlight);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>
    /// Queues <paramref name="item"/> and returns its result once its batch has run. Not cancellable:
    /// a write handed to the database is seen through, so that its caller knows what was recorded.
    /// </summary>
    public Task<TResult> RunAsync(TItem item)
    {
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously),
            Activity.Current?.Context ?? default);
        return _queue.Writer.TryWrite(pending) ? pending.Result.Task : throw new InvalidOperationException("The batcher is closed.");
    }

    /// <summary>Takes no more writes, and returns once every queued one has run.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue.Writer.TryComplete())
        {
            await _loop;
            for (var i = 0; i < _maxInFlight; i++)
            {
                await _slots.WaitAsync();
            }

            _slots.Dispose();
        }
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var held = new Queue<Pending>();
        while (held.Count > 0 || await reader.WaitToReadAsync())
        {
            await _slots.WaitAsync();
            var batch = new List<Pending>();
            var keys = new HashSet<Guid>();
            var deferred = new Queue<Pending>();
            while (batch.Count < _maxBatch && (held.TryDequeue(out var next) || reader.TryRead(out next)))
            {
                if (keys.Add(_key(next.Item)))
                {
                    batch.Add(next);
                }
                else
                {
                    deferred.Enqueue(next);
                }
            }

            while (held.TryDequeue(out var rest))
            {
                deferred.Enqueue(rest);
            }

            held = deferred;
            if (batch.Count == 0)
            {
                _slots.Release();
                continue;
            }

            _ = ExecuteAsync(batch);
        }
    }

    private async Task ExecuteAsync(List<Pending> batch)
    {
        var callers = batch.Select(p => p.Caller).Where(c => c != default).ToList();
        using var activity = callers.Count == 0 ? null
            : Source.StartActivity("journal batch", ActivityKind.Internal, callers[0], links: callers.Skip(1).Select(c => new ActivityLink(c)));
        activity?.SetTag("tgfleet.batch.rows", batch.Count);
        try
        {
            var results = await _execute([.. batch.Select(p => p.Item)]);
            if (results.Count != batch.Count)
            {
                throw new InvalidOperationException($"A batch of {batch.Count} writes returned {results.Count} results.");
            }

            _executed?.Invoke(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Result.TrySetException(e);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Result, ActivityContext Caller);
}
