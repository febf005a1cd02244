using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Sessions;

namespace TgFleet.Worker.Accounts;

/// <summary>Registers the accounts' runtimes and their login consumers.</summary>
public static class AccountServices
{
    /// <summary>
    /// Adds the <see cref="AccountRegistry"/> and what it needs (session and account stores, the
    /// cipher, the journal, a publishing observer). Needs <c>AddTdlibClients</c>, the database, the
    /// bus, and the <c>Sessions</c> and <c>Shards</c> options.
    /// </summary>
    public static IServiceCollection AddAccountRuntimes(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SessionCipher>();
        services.TryAddSingleton<SessionStore>();
        services.TryAddSingleton<AccountStore>();
        services.TryAddSingleton<CommandJournal>();
        services.TryAddSingleton<IAccountEvents>(sp => new BusAccountEvents(sp.GetRequiredService<IBus>()));
        services.TryAddSingleton<AccountRegistry>();
        services.TryAddSingleton<AccountCommands>();
        return services;
    }

    /// <summary>Adds the login consumers (Authenticate, SubmitAuthenticationCode, SubmitAuthenticationPassword).</summary>
    public static IBusRegistrationConfigurator AddAuthenticationConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<AuthenticateConsumer>();
        bus.AddConsumer<SubmitAuthenticationCodeConsumer>();
        bus.AddConsumer<SubmitAuthenticationPasswordConsumer>();
        return bus;
    }
}
