using TgFleet.Hosting;

namespace TgFleet.Worker.Sharding;

/// <summary>Registers shard ownership: settings, leases, topology at start, run-time shard endpoints, readiness.</summary>
public static class ShardingServices
{
    private static readonly string DefaultWorkerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>
    /// Adds <see cref="ShardOptions"/> (section <c>Shards</c>, validated at start), the lease store,
    /// <see cref="DeclareShardTopologyOnStart"/>, <see cref="ShardEndpoints"/> consuming with
    /// <paramref name="consumers"/>, and <see cref="ShardOwnership"/> as a hosted service whose
    /// <see cref="IShardHost"/> is <paramref name="host"/> (given the endpoints). Call it after
    /// <c>AddFleetDatabase</c> and <c>AddFleetBus</c>: hosted services start in registration order
    /// and stop in reverse, so the database is migrated and the bus runs before a lease is taken,
    /// and the shards are handed over while the bus still runs.
    /// </summary>
    public static TBuilder AddShardOwnership<TBuilder>(this TBuilder builder, ShardConsumers consumers,
        Func<IServiceProvider, ShardEndpoints, IShardHost> host)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(host);
        builder.Services.AddOptions<ShardOptions>()
            .BindConfiguration(ShardOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // One id for the process, read by ShardOwnership and by the egress gate it starts.
        builder.Services.PostConfigure<ShardOptions>(o => o.WorkerId = o.WorkerId is { Length: > 0 } id ? id : DefaultWorkerId);
        builder.Services.AddSingleton<ShardLeaseStore>();
        builder.Services.AddSingleton<ShardTopology>();
        builder.Services.AddHostedService<DeclareShardTopologyOnStart>();
        builder.Services.AddSingleton(consumers);
        builder.Services.AddSingleton<ShardEndpoints>();
        builder.Services.AddSingleton(sp => host(sp, sp.GetRequiredService<ShardEndpoints>()));
        builder.Services.AddSingleton<ShardOwnership>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ShardOwnership>());
        builder.Services.AddHealthChecks().AddCheck<ShardOwnershipHealthCheck>("shards", tags: [FleetDefaults.ReadyTag]);
        return builder;
    }
}
