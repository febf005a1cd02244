using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Worker.Queries;

/// <summary>
/// Registers the query consumers (request/response, read-only) and puts them on their endpoints:
/// the per-account ones on the shard endpoints (<see cref="ConfigureShardQueries"/>), ListAccounts
/// on the shared <c>tgfleet.queries</c> quorum queue (<see cref="ConfigureQueriesEndpoint"/>).
/// </summary>
public static class QueryConsumers
{
    /// <summary>Messages the queries endpoint holds unacknowledged at most (each is one database query).</summary>
    public const int QueriesPrefetch = 16;

    /// <summary>
    /// Adds the five query consumers, kept off <c>ConfigureEndpoints</c> (they belong on the shard
    /// endpoints and the queries queue only), and what they need beyond <c>AddAccountRuntimes</c>
    /// (<see cref="AccountQueries"/>, <see cref="TelegramQueries"/>, <see cref="QueryReplies"/>).
    /// </summary>
    public static IBusRegistrationConfigurator AddQueryConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.TryAddSingleton(TimeProvider.System);
        bus.TryAddSingleton<AccountQueries>();
        bus.TryAddSingleton<QueryReplies>();
        bus.TryAddSingleton<TelegramQueries>();
        bus.AddConsumer<GetAccountConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<GetMeConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<GetChatsConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<SearchContactsConsumer>().ExcludeFromConfigureEndpoints();
        bus.AddConsumer<ListAccountsConsumer>().ExcludeFromConfigureEndpoints();
        return bus;
    }

    /// <summary>
    /// Adds the per-account query consumers (GetAccount, GetMe, GetChats, SearchContacts) to a shard
    /// endpoint; the shard's account lanes (<see cref="Sharding.AccountLanes"/>) order them with the
    /// account's commands.
    /// </summary>
    public static void ConfigureShardQueries(IRegistrationContext context, IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(endpoint);
        foreach (var consumer in ShardQueryConsumers)
        {
            context.ConfigureConsumer(consumer, endpoint);
        }
    }

    /// <summary>The per-account query consumers that <see cref="ConfigureShardQueries"/> puts on a shard endpoint.</summary>
    public static IReadOnlyList<Type> ShardQueryConsumers { get; } =
        [typeof(GetAccountConsumer), typeof(GetMeConsumer), typeof(GetChatsConsumer), typeof(SearchContactsConsumer)];

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
            endpoint.ConfigureConsumer<ListAccountsConsumer>(context);
        });
    }
}
