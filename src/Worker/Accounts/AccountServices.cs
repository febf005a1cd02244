using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Messaging;
using TgFleet.Worker.Proxies;
using TgFleet.Worker.Queries;
using TgFleet.Worker.Sessions;

namespace TgFleet.Worker.Accounts;

/// <summary>Registers the accounts' runtimes and the services their commands call.</summary>
public static class AccountServices
{
    /// <summary>
    /// Adds the <see cref="AccountRegistry"/> and what it needs (session and account stores, the
    /// cipher, the journal, a publishing observer). Needs <c>AddTdlibClients</c>, the database, the
    /// bus, the egress route (<c>AddEgressGate</c>), shard ownership, the fleet defaults' TimeProvider,
    /// and the <c>Sessions</c> and <c>Shards</c> options: <see cref="WorkerComposition.AddWorker"/> adds them.
    /// </summary>
    public static IServiceCollection AddAccountRuntimes(this IServiceCollection services)
    {
        services.TryAddSingleton<SessionCipher>();
        services.TryAddSingleton<SessionStore>();
        services.TryAddSingleton<AccountStore>();
        services.AddCommandPipeline();
        services.TryAddSingleton<SendJournal>();
        services.TryAddSingleton(sp => new SendOutcomes(sp.GetRequiredService<SendJournal>(), sp.GetRequiredService<AccountRegistry>(),
            sp.GetRequiredService<IAccountEvents>(), sp.GetRequiredService<WorkerMetrics>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<SendingOptions>>(), sp.GetRequiredService<ILogger<SendOutcomes>>(), 
            // Lazily: shard ownership's host needs these outcomes.
            new Lazy<Sharding.ShardOwnership>(sp.GetRequiredService<Sharding.ShardOwnership>)));
        services.TryAddSingleton<IAccountEvents>(sp => new BusAccountEvents(sp.GetRequiredService<IBus>()));
        services.AddOptions<SendingOptions>().BindConfiguration(SendingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<OptOutStore>();
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<AccountProxies>();
        services.TryAddSingleton<AccountProxyCommands>();
        services.TryAddSingleton<ProxyHealthChecks>();
        services.AddHostedService(sp => sp.GetRequiredService<ProxyHealthChecks>());
        services.AddMetrics();
        services.TryAddSingleton<WorkerMetrics>();
        services.AddResiliencePipeline(RecipientLookups.Pipeline, (builder, context) =>
            RecipientLookups.Configure(builder, context.ServiceProvider.GetRequiredService<IOptions<SendingOptions>>().Value));
        services.TryAddSingleton(sp => new AccountRuntimeServices(
            sp.GetRequiredService<TgFleet.Tdlib.TdClientManager>(),
            sp.GetRequiredService<SessionCipher>(),
            sp.GetRequiredService<SessionStore>(),
            sp.GetRequiredService<AccountStore>(),
            sp.GetRequiredService<IAccountEvents>(),
            sp.GetRequiredService<IOptions<TelegramOptions>>().Value,
            sp.GetRequiredService<IOptions<SendingOptions>>().Value,
            sp.GetRequiredService<AccountProxies>(),
            sp.GetRequiredService<OptOutStore>(),
            sp.GetRequiredService<WorkerMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<Polly.Registry.ResiliencePipelineProvider<string>>().GetPipeline(RecipientLookups.Pipeline))
        {
            Egress = sp.GetRequiredService<Fencing.EgressRoute>(),
        });
        services.TryAddSingleton<AccountRegistry>();
        services.AddHostedService<PeriodicCheckpoints>();
        services.TryAddSingleton<AccountCommands>();
        services.TryAddSingleton<AccountLifecycle>();
        services.TryAddSingleton<AccountQueries>();
        services.TryAddSingleton<TelegramQueries>();
        return services;
    }
}
