using MassTransit;
using Microsoft.Extensions.Options;
using TgFleet.Contracts.Addressing;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// Owning a shard = its queue's receive endpoint connected at run time; losing it = the endpoint
/// stopped (commands running finish first; the ones waiting in their account's lane and the
/// unacknowledged rest return to the queue). Each endpoint runs its accounts in lanes
/// (<see cref="AccountLanes"/>): one account's commands in order, different accounts at once.
/// </summary>
public sealed partial class ShardEndpoints(IReceiveEndpointConnector connector, ShardConsumers consumers, IOptions<CommandOptions> options, IBus bus, ILogger<ShardEndpoints> logger)
    : IShardHost, IDisposable
{
    private readonly CommandFailureAnswers _answers = new(bus, TimeProvider.System, logger);
    private readonly Dictionary<int, (HostReceiveEndpointHandle Handle, AccountLanes Lanes)> _handles = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _running = new(options.Value.MaxRunning, options.Value.MaxRunning);

    /// <inheritdoc />
    public async Task StartAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var name = ShardAddressing.QueueName(lease.Shard);
        var lanes = new AccountLanes(_running, logger);
        var window = options.Value.ShardWindow;
        var handle = connector.ConnectReceiveEndpoint(name, (context, cfg) =>
        {
            var rabbit = (IRabbitMqReceiveEndpointConfigurator)cfg;
            rabbit.SetQuorumQueue();
            // Commands come to the shard's exchange; MassTransit binds the same-named exchange.
            rabbit.ConfigureConsumeTopology = false;
            // Every delivery of the window is dispatched at once, into its account's lane: a delivery
            // waiting there for its account's earlier command must not keep another account's
            // delivery from being dispatched, so the dispatch limit is the prefetch.
            rabbit.PrefetchCount = window;
            // A command is answered by its own events (CommandRejected, MessageFailed, …), never by
            // Fault<T>; infrastructure failures are retried in the lane (TransientFailure).
            rabbit.PublishFaults = false;
            rabbit.ConcurrentMessageLimit = window;
            lanes.Configure(rabbit);
            _answers.Configure(rabbit);
            consumers.Configure(context, rabbit);
        });
        lock (_gate)
        {
            _handles[lease.Shard] = (handle, lanes);
        }

        await handle.Ready.WaitAsync(cancellationToken);
        Log.EndpointStarted(logger, name, lease.Epoch);
    }

    /// <inheritdoc />
    public async Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        (HostReceiveEndpointHandle Handle, AccountLanes Lanes) endpoint;
        bool found;
        lock (_gate)
        {
            found = _handles.Remove(lease.Shard, out endpoint);
        }

        if (found)
        {
            endpoint.Lanes.Close();
            await endpoint.Handle.StopAsync(cancellationToken);
            endpoint.Lanes.Dispose();
            var name = ShardAddressing.QueueName(lease.Shard);
            Log.EndpointStopped(logger, name, reason);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _running.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Consuming {Queue} (epoch {Epoch})")]
        internal static partial void EndpointStarted(ILogger logger, string queue, long epoch);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Stopped consuming {Queue}: {Reason}")]
        internal static partial void EndpointStopped(ILogger logger, string queue, ShardStopReason reason);
    }
}
