using MassTransit;

namespace TgFleet.Worker.Accounts;

/// <summary>Publishes account events on the bus.</summary>
public sealed class BusAccountEvents(IPublishEndpoint publish) : IAccountEvents
{
    /// <inheritdoc />
    public Task PublishAsync<T>(T message, CancellationToken cancellationToken)
        where T : class => publish.Publish(message, cancellationToken);
}
