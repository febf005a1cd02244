namespace TgFleet.Worker.Accounts;

/// <summary>
/// Where an <see cref="AccountRuntime"/> reports what happens to its account
/// (<c>AuthenticationStateChanged</c>, <c>AccountStatusChanged</c>, <c>IncomingMessageReceived</c>).
/// The worker publishes them on the bus (<see cref="BusAccountEvents"/>); the runtime itself knows
/// nothing of the bus.
/// </summary>
public interface IAccountEvents
{
    /// <summary>Reports <paramref name="message"/> (an event contract).</summary>
    Task PublishAsync<T>(T message, CancellationToken cancellationToken)
        where T : class;
}
