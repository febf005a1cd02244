using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// Where an <see cref="AccountRuntime"/> reports its login's progress. The consumer layer
/// publishes these as events; the runtime itself knows nothing of the bus.
/// </summary>
public interface IAuthenticationObserver
{
    /// <summary>The account's login moved to a new state.</summary>
    Task OnChangedAsync(AuthenticationStateChanged change, CancellationToken cancellationToken);
}
