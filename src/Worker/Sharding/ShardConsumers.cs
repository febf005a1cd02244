using MassTransit;

namespace TgFleet.Worker.Sharding;

/// <summary>How a shard's receive endpoint consumes: the worker's command consumers.</summary>
/// <param name="Configure">Adds consumers (and their partitioning) to a shard endpoint.</param>
public sealed record ShardConsumers(Action<IRegistrationContext, IRabbitMqReceiveEndpointConfigurator> Configure);
