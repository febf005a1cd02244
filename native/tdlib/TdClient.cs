using System.Threading.Channels;
using TgFleet.Tdlib.Api;

namespace TgFleet.Tdlib;

/// <summary>
/// One TDLib client (one account). Requests return the function's declared type or throw
/// <see cref="TdException"/>; updates arrive in order on <see cref="Updates"/>. Disposing closes
/// the client and waits for <c>authorizationStateClosed</c>.
/// </summary>
/// <remarks>
/// Backpressure: the update channel is unbounded, because the one receive thread serves every
/// client of the process and must never wait for one slow consumer. Nothing is dropped; a client
/// whose backlog passes <see cref="TdlibOptions.UpdateBacklogWarning"/> is logged (again at every
/// doubling) and <see cref="UpdateBacklog"/> exposes it for metrics.
/// </remarks>
public sealed class TdClient : IAsyncDisposable
{
    private readonly TdClientManager _manager;
    private readonly Channel<TdObject> _updates = Channel.CreateUnbounded<TdObject>(new UnboundedChannelOptions
    {
        SingleWriter = true,
        AllowSynchronousContinuations = false,
    });

    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _backlogWarning;
    private volatile AuthorizationState? _authorizationState;

    internal TdClient(TdClientManager manager, int id)
    {
        _manager = manager;
        Id = id;
        _backlogWarning = manager.Options.UpdateBacklogWarning;
    }

    /// <summary>TDLib's client id (<c>@client_id</c>).</summary>
    public int Id { get; }

    /// <summary>This client's updates (and any object not answering a request), in TDLib's order.</summary>
    public ChannelReader<TdObject> Updates => _updates.Reader;

    /// <summary>Updates received and not yet read.</summary>
    public int UpdateBacklog => _updates.Reader.Count;

    /// <summary>The last authorization state TDLib reported (null before the first).</summary>
    public AuthorizationState? AuthorizationState => _authorizationState;

    /// <summary>Completes when TDLib reports <c>authorizationStateClosed</c>.</summary>
    public Task Closed => _closed.Task;

    internal bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Sends <paramref name="function"/> and awaits its answer.</summary>
    /// <typeparam name="TResult">The function's declared return type.</typeparam>
    /// <exception cref="TdException">TDLib answered with an error (its code and message).</exception>
    public Task<TResult> SendAsync<TResult>(TdFunction<TResult> function, CancellationToken cancellationToken = default)
        where TResult : TdObject =>
        _manager.SendAsync(this, function, cancellationToken);

    /// <summary>Sends <paramref name="function"/> and awaits its answer for at most <paramref name="timeout"/>.</summary>
    /// <typeparam name="TResult">The function's declared return type.</typeparam>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>.</exception>
    /// <exception cref="TdException">TDLib answered with an error (its code and message).</exception>
    public async Task<TResult> SendAsync<TResult>(TdFunction<TResult> function, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TResult : TdObject
    {
        using var deadline = new CancellationTokenSource(timeout, _manager.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await _manager.SendAsync(this, function, linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"TDLib client {Id} did not answer {function.TdType} within {timeout}.");
        }
    }

    /// <summary>Sends <c>close</c> and waits for <c>authorizationStateClosed</c> (TDLib keeps the database).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (!IsClosed)
        {
            try
            {
                await SendAsync(new Close(), cancellationToken);
            }
            catch (TdException)
            {
                // Already closing: the update below is what counts.
            }
            catch (ObjectDisposedException)
            {
                // Closed while the request was in flight.
            }
        }

        await _closed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Closes the client (<see cref="CloseAsync"/>) within <see cref="TdlibOptions.CloseTimeout"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (IsClosed)
        {
            return;
        }

        using var deadline = new CancellationTokenSource(_manager.Options.CloseTimeout, _manager.TimeProvider);
        try
        {
            await CloseAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Log.CloseTimedOut(_manager.Logger, Id, _manager.Options.CloseTimeout);
        }
    }

    /// <summary>Called on the receive thread only.</summary>
    internal void Deliver(TdObject received)
    {
        _updates.Writer.TryWrite(received);
        if (received is UpdateAuthorizationState { AuthorizationState: { } state })
        {
            _authorizationState = state;
            if (state is AuthorizationStateClosed)
            {
                _updates.Writer.TryComplete();
                _manager.OnClientClosed(this);
                _closed.TrySetResult();
                return;
            }
        }

        var backlog = _updates.Reader.Count;
        if (backlog >= _backlogWarning)
        {
            Log.UpdateBacklog(_manager.Logger, Id, backlog);
            _backlogWarning = backlog > int.MaxValue / 2 ? int.MaxValue : backlog * 2;
        }
    }
}
