using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using TgFleet.DevServers;
using TgFleet.Storage;

namespace TgFleet.FleetBench;

/// <summary>The throwaway PostgreSQL and RabbitMQ of one run, and how a worker child is configured against them.</summary>
internal sealed class FleetServers(Sandbox sandbox, ThrowawayPostgres postgres, ThrowawayRabbitMq rabbitMq) : IAsyncDisposable
{
    /// <summary>The session master key of this run (the workers encrypt their checkpoints with it).</summary>
    public const string KeyId = "fleetbench";

    public static string Key { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public Sandbox Sandbox => sandbox;

    public ThrowawayPostgres Postgres => postgres;

    public ThrowawayRabbitMq RabbitMq => rabbitMq;

    /// <summary>Extra settings for every worker (<c>--worker-setting Key=Value</c>, e.g. to try a change of configuration).</summary>
    public Dictionary<string, string> ExtraWorkerSettings { get; } = new(StringComparer.Ordinal);

    public static async Task<FleetServers> StartAsync(Sandbox sandbox, CancellationToken cancellationToken)
    {
        var startPostgres = ThrowawayPostgres.StartAsync(sandbox, cancellationToken: cancellationToken);
        var startRabbitMq = ThrowawayRabbitMq.StartAsync(sandbox, cancellationToken: cancellationToken);
        return new FleetServers(sandbox, await startPostgres, await startRabbitMq);
    }

    /// <summary>A migrated database and a virtual host, both named <paramref name="name"/>.</summary>
    public async Task CreateFleetAsync(string name, CancellationToken cancellationToken)
    {
        await postgres.CreateDatabaseAsync(name, cancellationToken: cancellationToken);
        await rabbitMq.CreateVirtualHostAsync(name, cancellationToken);
        await DatabaseMigrator.MigrateAsync(postgres.ConnectionString(name), NullLogger.Instance, cancellationToken);
    }

    /// <summary>The settings of a worker of fleet <paramref name="name"/> (database and virtual host).</summary>
    public Dictionary<string, string> WorkerEnvironment(string name, string backend, Uri? simulator = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Database__ConnectionString"] = postgres.ConnectionString(name),
            ["RabbitMq__Uri"] = rabbitMq.AmqpUri(name).ToString(),
            ["Telegram__ApiId"] = "94575",
            ["Telegram__ApiHash"] = "a3406de8d171bb422bb6ddf3bbd800e2",
            ["Telegram__Backend"] = backend,
            ["Telegram__DataDirectory"] = sandbox.SubDirectory("accounts-" + name),
            ["Sessions__ActiveKeyId"] = KeyId,
            ["Sessions__Keys__" + KeyId] = Key,
            // The periodic checkpoint (default every 5 minutes) stays out of the measured minutes;
            // the checkpoint every login writes on Ready is measured.
            ["Sessions__CheckpointInterval"] = "01:00:00",
        };
        if (simulator is not null)
        {
            environment["Telegram__SimulatorUri"] = simulator.ToString();
        }

        foreach (var (key, value) in ExtraWorkerSettings)
        {
            environment[key] = key == "Database__ConnectionString" ? environment[key] + ";" + value : value;
        }

        return environment;
    }

    /// <summary>Starts a worker of fleet <paramref name="name"/> and waits until it owns its shards (/health/ready).</summary>
    public async Task<FleetChild> StartWorkerAsync(string name, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var worker = FleetChild.Start("worker-" + name, Proc.WorkerDll, environment, sandbox);
        try
        {
            await worker.WaitUntilAsync("health/ready", TimeSpan.FromMinutes(3), cancellationToken);
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }

        return worker;
    }

    public async ValueTask DisposeAsync()
    {
        await rabbitMq.DisposeAsync();
        await postgres.DisposeAsync();
    }

    public static string Mb(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
