using MassTransit;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Accounts;

/// <summary>Publishes every login state change as <see cref="AuthenticationStateChanged"/>.</summary>
public sealed class PublishingAuthenticationObserver(IPublishEndpoint publish) : IAuthenticationObserver
{
    /// <inheritdoc />
    public Task OnChangedAsync(AuthenticationStateChanged change, CancellationToken cancellationToken) =>
        publish.Publish(change, cancellationToken);
}
