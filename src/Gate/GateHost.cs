using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Addressing;
using TgFleet.Hosting;

namespace TgFleet.Gate;

/// <summary>The egress gate as a process: <c>dotnet TgFleet.Worker.dll gate</c> (child or sidecar).</summary>
public static partial class GateHost
{
    /// <summary>The first argument that makes the worker's executable run the gate instead.</summary>
    public const string Verb = "gate";

    /// <summary>
    /// Runs the gate until stopped. Settings: <c>Database:ConnectionString</c>,
    /// <c>Shards:WorkerId</c> (required: whose leases), <c>Shards:Count</c>, section <c>Gate</c>
    /// (<see cref="GateOptions"/>), <c>--urls</c> for <c>/metrics</c> and <c>/health/*</c>.
    /// With <c>Gate:ParentWatch=true</c> (a worker's child) it finishes its work and exits once
    /// its standard input closes (the worker is gone).
    /// </summary>
    public static async Task RunAsync(string[] args)
    {
        var app = Build(args);
        app.MapFleetEndpoints();
        await app.RunAsync();
    }

    /// <summary>The gate's application, not started (tests run it in-process; <see cref="ListeningPortAsync"/> tells its port).</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args); // the worker's own logging and hosting defaults: its output is the worker's
        builder.AddFleetDefaults("tgfleet-gate");
        builder.Services.AddOptions<GateOptions>().BindConfiguration(GateOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.PollInterval > TimeSpan.Zero && o.ConnectTimeout > TimeSpan.Zero, "Gate:PollInterval and Gate:ConnectTimeout must be positive.")
            .ValidateOnStart();
        var connectionString = builder.Configuration["Database:ConnectionString"];
        var workerId = builder.Configuration["Shards:WorkerId"];
        if (connectionString is not { Length: > 0 } || workerId is not { Length: > 0 })
        {
            Console.Error.WriteLine("tgfleet-gate: Database:ConnectionString and Shards:WorkerId are required (the worker's own settings).");
            Environment.Exit(2);
        }

        var shardCount = builder.Configuration.GetValue("Shards:Count", ShardAddressing.DefaultShardCount);
        builder.Services.AddSingleton(_ => FleetDatabase.DataSource(connectionString));
        builder.Services.AddSingleton(sp => new LeaseBook(sp.GetRequiredService<NpgsqlDataSource>(), workerId, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new FenceRecords(sp.GetRequiredService<NpgsqlDataSource>(), workerId));
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<EgressGate>(sp, shardCount));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EgressGate>());
        if (builder.Configuration.GetValue("Gate:ParentWatch", false))
        {
            builder.Services.AddHostedService<ParentWatch>();
        }

        builder.Services.AddHealthChecks().AddCheck<LeasesReadable>("leases", tags: [FleetDefaults.ReadyTag]);
        return builder.Build();
    }

    /// <summary>The SOCKS5 port of a started gate application.</summary>
    public static Task<int> ListeningPortAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<EgressGate>().Listening;
    }

    /// <summary>Ready while the gate has read its worker's leases recently (it refuses everything otherwise).</summary>
    private sealed class LeasesReadable(LeaseBook leases, IOptions<GateOptions> options, TimeProvider time) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var limit = TimeSpan.FromTicks(Math.Max(options.Value.PollInterval.Ticks * 4, TimeSpan.FromSeconds(3).Ticks));
            return Task.FromResult(leases.RefreshedAt != 0 && time.GetElapsedTime(leases.RefreshedAt) < limit
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The worker's leases were not read recently: every connection is refused."));
        }
    }

    /// <summary>A child gate's standard input is its worker: when it closes, the worker is gone.</summary>
    private sealed partial class ParentWatch(EgressGate gate, ILogger<ParentWatch> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var input = Console.OpenStandardInput();
            var buffer = new byte[256];
            try
            {
                while (await input.ReadAsync(buffer, stoppingToken) > 0)
                {
                    // The worker writes nothing; only the end matters.
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Log.ParentGone(logger);
            gate.Orphan();
        }

        private static partial class Log
        {
            [LoggerMessage(EventId = EventIds.ParentGone, Level = LogLevel.Warning, Message = "The worker is gone: fencing and recording its leases, then stopping")]
            internal static partial void ParentGone(ILogger logger);
        }
    }
}
