using MassTransit;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// Owning a shard = its queue's receive endpoint connected at run time; losing it = the endpoint
/// stopped (in-flight messages finish first; unacknowledged ones return to the queue).
/// </summary>
public sealed partial class ShardEndpoints(IReceiveEndpointConnector connector, ShardConsumers consumers, ILogger<ShardEndpoints> logger) : IShardHost
{
    private readonly Dictionary<int, HostReceiveEndpointHandle> _handles = [];
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public async Task StartAsync(ShardLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var name = ShardAddressing.QueueName(lease.Shard);
        var handle = connector.ConnectReceiveEndpoint(name, (context, cfg) =>
        {
            var rabbit = (IRabbitMqReceiveEndpointConfigurator)cfg;
            rabbit.SetQuorumQueue();
            // Commands come to the shard's exchange; MassTransit binds the same-named exchange.
            rabbit.ConfigureConsumeTopology = false;
            // In order: a shard's commands are dispatched one at a time, in delivery order. MassTransit
            // dispatches concurrent deliveries in parallel before any partitioner sees them, so under
            // load two commands of one account could reach it swapped (seen in CI). Concurrency
            // comes from the shards: a worker runs as many commands at once as it owns shards.
            rabbit.PrefetchCount = 32;
            rabbit.ConcurrentMessageLimit = 1;
            rabbit.PartitionByAccount();
            consumers.Configure(context, rabbit);
        });
        lock (_gate)
        {
            _handles[lease.Shard] = handle;
        }

        await handle.Ready.WaitAsync(cancellationToken);
        Log.EndpointStarted(logger, name, lease.Epoch);
    }

    /// <inheritdoc />
    public async Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        HostReceiveEndpointHandle? handle;
        lock (_gate)
        {
            _handles.Remove(lease.Shard, out handle);
        }

        if (handle is not null)
        {
            await handle.StopAsync(cancellationToken);
            var name = ShardAddressing.QueueName(lease.Shard);
            Log.EndpointStopped(logger, name, reason);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Consuming {Queue} (epoch {Epoch})")]
        internal static partial void EndpointStarted(ILogger logger, string queue, long epoch);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Stopped consuming {Queue}: {Reason}")]
        internal static partial void EndpointStopped(ILogger logger, string queue, ShardStopReason reason);
    }
}
