using MassTransit;
using TgFleet.Contracts.Addressing;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Queries;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker;

/// <summary>
/// The worker's consumers, derived from the table of per-account messages
/// (<see cref="PerAccountMessages"/>): each type there has its one consumer in this assembly, and
/// every one of them runs ONLY on the shard endpoints (<see cref="ShardEndpoints"/>): registered
/// with MassTransit but excluded from <c>ConfigureEndpoints</c>, so no per-consumer queue exists
/// that could take an account's commands past its shard's lease (two workers running one account).
/// ListAccounts (not per account) is consumed on the fleet-wide <c>tgfleet.queries</c> queue.
/// Every endpoint runs the command pipeline (<see cref="CommandFilter{T}"/>) before its consumers.
/// To add a per-account command: its contract, its line in the table, its consumer; nothing else.
/// </summary>
public static class WorkerConsumers
{
    /// <summary>Messages the queries endpoint holds unacknowledged at most (each is one database query).</summary>
    public const int QueriesPrefetch = 16;

    /// <summary>The consumer of each per-account message type, in the table's order.</summary>
    public static IReadOnlyList<Type> ShardCommandConsumers { get; } = [.. PerAccountMessages.All.Select(m => ConsumerOf(m.Type))];

    /// <summary>Registers every worker consumer with the bus (call inside <c>AddFleetBus</c>).</summary>
    public static IBusRegistrationConfigurator AddWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        foreach (var consumer in ShardCommandConsumers.Append(typeof(ListAccountsConsumer)))
        {
            bus.AddConsumer(consumer).ExcludeFromConfigureEndpoints();
        }

        return bus;
    }

    /// <summary>The worker's endpoints that are not shards: <c>tgfleet.queries</c>.</summary>
    public static void ConfigureFleetEndpoints(IBusRegistrationContext context, IRabbitMqBusFactoryConfigurator configurator)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        configurator.ConfigureQueriesEndpoint(context);
    }

    /// <summary>What each shard endpoint consumes (registered as the worker's <see cref="ShardConsumers"/>).</summary>
    public static ShardConsumers OnShardEndpoints { get; } = new(ConfigureCommandEndpoint);

    /// <summary>Puts the command pipeline and every per-account consumer on <paramref name="endpoint"/>.</summary>
    public static void ConfigureCommandEndpoint(IRegistrationContext context, IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.UseConsumeFilter(typeof(CommandFilter<>), context);
        foreach (var consumer in ShardCommandConsumers)
        {
            context.ConfigureConsumer(consumer, endpoint);
        }
    }

    /// <summary>
    /// Connects the fleet-wide queries endpoint: the durable quorum queue <c>tgfleet.queries</c>
    /// and the same-named fanout exchange bound to it (where <see cref="QueryAddressing.Address"/>
    /// sends), consumed by <see cref="ListAccountsConsumer"/> on every worker. Call it inside
    /// <c>UsingRabbitMq</c>.
    /// </summary>
    public static void ConfigureQueriesEndpoint(this IRabbitMqBusFactoryConfigurator configurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        ArgumentNullException.ThrowIfNull(context);
        configurator.ReceiveEndpoint(QueryAddressing.QueueName, endpoint =>
        {
            endpoint.SetQuorumQueue();
            // Queries come to the queue's own exchange only: published ListAccounts would reach every
            // endpoint bound to the message type, not one worker.
            endpoint.ConfigureConsumeTopology = false;
            endpoint.PrefetchCount = QueriesPrefetch;
            endpoint.UseConsumeFilter(typeof(CommandFilter<>), context);
            endpoint.ConfigureConsumer<ListAccountsConsumer>(context);
        });
    }

    private static Type ConsumerOf(Type message)
    {
        var consumer = typeof(IConsumer<>).MakeGenericType(message);
        var found = typeof(WorkerConsumers).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && consumer.IsAssignableFrom(t)).ToList();
        return found.Count == 1 ? found[0]
            : throw new InvalidOperationException($"{message.Name} is a per-account message (PerAccountMessages) and needs exactly one consumer in the worker; found {found.Count}.");
    }
}
