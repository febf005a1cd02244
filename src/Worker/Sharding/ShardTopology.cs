using MassTransit;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using TgFleet.Contracts.Addressing;
using TgFleet.Hosting;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// Declares every shard's exchange, quorum queue and binding, so that commands sent to a shard
/// wait in its queue even while nobody owns it. Idempotent; every worker runs it at start. The
/// declarations match what MassTransit declares for the receive endpoint (durable fanout exchange
/// and a durable quorum queue of the same name).
/// </summary>
public sealed class ShardTopology(IOptions<RabbitMqOptions> rabbitMq, IOptions<ShardOptions> shards)
{
    /// <summary>The queue arguments of a shard queue.</summary>
    public static readonly IDictionary<string, object?> QueueArguments = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };

    /// <summary>Declares the topology of all shards.</summary>
    public async Task DeclareAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = rabbitMq.Value.Uri!, ClientProvidedName = "tgfleet-shard-topology" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        for (var shard = 0; shard < shards.Value.Count; shard++)
        {
            var name = ShardAddressing.QueueName(shard);
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, QueueArguments, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(name, name, string.Empty, cancellationToken: cancellationToken);
        }
    }
}

/// <summary>How a shard's receive endpoint consumes: the worker's command consumers.</summary>
/// <param name="Configure">Adds consumers (and their partitioning) to a shard endpoint.</param>
public sealed record ShardConsumers(Action<IRegistrationContext, IRabbitMqReceiveEndpointConfigurator> Configure);

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
            // Bounded: at most this many unacknowledged commands per shard, ordered per account.
            rabbit.PrefetchCount = 32;
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
