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
