using MassTransit;
using TgFleet.Hosting;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Fencing;
using TgFleet.Worker.Commands;
using SessionOptions = TgFleet.Worker.Sessions.SessionOptions;
using TgFleet.Worker.Sharding;

namespace TgFleet.Worker;

/// <summary>The worker process, composed: what <c>Program.cs</c> calls.</summary>
public static class WorkerComposition
{
    /// <summary>
    /// Everything a worker runs: the fleet defaults, the database, the bus with the worker's
    /// consumers (<see cref="WorkerConsumers"/>, on shard endpoints only), TDLib clients, session
    /// encryption, the accounts' runtimes, and shard ownership whose shards bring their accounts
    /// up (<see cref="AccountShardHost"/>). Every settings section is validated at start.
    /// </summary>
    public static TBuilder AddWorker<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Registration order is start order (and the reverse is stop order): database, bus, then
        // the shard topology and ownership; on SIGTERM the shards are handed over before the bus stops.
        builder.AddFleetDefaults("tgfleet-worker");
        builder.AddFleetDatabase();
        builder.AddFleetBus(bus => bus.AddWorkerConsumers(), (context, rabbit) =>
        {
            // A resumed worker publishes nothing for the shards it lost (docs/fencing.md).
            rabbit.UsePublishFilter(typeof(ShardLeasePublishFilter<>), context);
            WorkerConsumers.ConfigureFleetEndpoints(context, rabbit);
        });
        // The bus runs before the first shard endpoint is connected.
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        builder.AddTdlibClients();
        builder.Services.AddOptions<SessionOptions>()
            .BindConfiguration(SessionOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<CommandOptions>()
            .BindConfiguration(CommandOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddAccountRuntimes();
        builder.AddEgressGate();
        builder.Services.AddSingleton<LapsedShards>();
        builder.AddShardOwnership(
            new ShardConsumers((context, endpoint) =>
            {
                // Before any consumer: nothing is consumed for a shard whose lease lapsed (docs/fencing.md).
                endpoint.UseConsumeFilter(typeof(ShardLeaseFilter<>), context);
                WorkerConsumers.OnShardEndpoints.Configure(context, endpoint);
            }),
            (services, endpoints) => new AccountShardHost(new HandBackOnLoss(endpoints, services.GetRequiredService<LapsedShards>()),
                services.GetRequiredService<AccountRegistry>(), services.GetRequiredService<Messaging.SendOutcomes>()));
        // A hand-over closes and checkpoints every account of every shard: .NET's default of 30 s
        // can cut it short. 50 s stays under deploy/compose.yaml's 60 s stop_grace_period;
        // Worker:ShutdownSeconds changes it (keep it under the orchestrator's grace period).
        var shutdown = builder.Configuration.GetValue("Worker:ShutdownSeconds", 50);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(shutdown));
        return builder;
    }
}
