using MassTransit;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Messaging;
using TgFleet.Worker.Proxies;
using TgFleet.Worker.Queries;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker;

/// <summary>
/// THE list of the worker's consumers, in one place. A per-account command's consumer runs ONLY on
/// the shard endpoints (<see cref="ShardEndpoints"/>): it is registered with MassTransit but
/// excluded from <c>ConfigureEndpoints</c>, so no per-consumer queue exists that could take an
/// account's commands past its shard's lease (two workers running one account). To add a
/// consumer, add ONE line to <see cref="ShardCommandConsumers"/>; nothing else.
/// </summary>
public static class WorkerConsumers
{
    /// <summary>
    /// Consumers of per-account commands, each with its definition (or null). Every one of them is
    /// configured on every shard endpoint; a command type with no consumer here is moved to the
    /// shard's <c>_skipped</c> queue by MassTransit.
    /// </summary>
    public static readonly IReadOnlyList<(Type Consumer, Type? Definition)> ShardCommandConsumers =
    [
        // Logins (Accounts/).
        (typeof(AuthenticateConsumer), null),
        (typeof(SubmitAuthenticationCodeConsumer), null),
        (typeof(SubmitAuthenticationPasswordConsumer), null),

        // Sending, log-out, removal (Messaging/, Accounts/).
        (typeof(SendMessageConsumer), null),
        (typeof(LogOutConsumer), null),
        (typeof(RemoveAccountConsumer), null),

        // Proxies (Proxies/).
        (typeof(SetAccountProxyConsumer), null),
        (typeof(ClearAccountProxyConsumer), null),
    ];

    /// <summary>Registers every worker consumer with the bus (call inside <c>AddFleetBus</c>).</summary>
    public static IBusRegistrationConfigurator AddWorkerConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        foreach (var (consumer, definition) in ShardCommandConsumers)
        {
            bus.AddConsumer(consumer, definition).ExcludeFromConfigureEndpoints();
        }

        // The queries: the per-account ones (GetAccount, GetMe, GetChats, SearchContacts) are
        // excluded from ConfigureEndpoints like the commands above and configured on the shard
        // endpoints; ListAccounts (not per account) is the one consumer with an endpoint of its
        // own, the `tgfleet.queries` quorum queue (ConfigureFleetEndpoints).
        bus.AddQueryConsumers();
        return bus;
    }

    /// <summary>The worker's endpoints that are not shards: <c>tgfleet.queries</c>.</summary>
    public static void ConfigureFleetEndpoints(IBusRegistrationContext context, IRabbitMqBusFactoryConfigurator configurator)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        configurator.ConfigureQueriesEndpoint(context);
    }

    /// <summary>What each shard endpoint consumes (registered as the worker's <see cref="ShardConsumers"/>).</summary>
    public static ShardConsumers OnShardEndpoints { get; } = new(ConfigureShardEndpoint);

    private static void ConfigureShardEndpoint(IRegistrationContext context, IRabbitMqReceiveEndpointConfigurator endpoint)
    {
        foreach (var (consumer, _) in ShardCommandConsumers)
        {
            context.ConfigureConsumer(consumer, endpoint);
        }

        QueryConsumers.ConfigureShardQueries(context, endpoint);
    }
}
