using Microsoft.Extensions.Logging.Abstractions;
using TgFleet.DevServers;
using TgFleet.Storage;

namespace TgFleet.Testing;

/// <summary>
/// The throwaway servers of one test run: ONE PostgreSQL and ONE RabbitMQ, started on first use
/// (so a run of binding tests alone starts neither) and stopped by <see cref="FleetTestRun"/>
/// when the run ends. Their data lives in a sandbox under the temp directory; a watchdog removes
/// it if the test host dies, and the next run cleans any sandbox whose owner is gone.
/// </summary>
public static class TestInfrastructure
{
    /// <summary>The database every fixture's database is copied from; migrated once per run.</summary>
    public const string TemplateDatabase = "tgfleet_template";

    private const string SandboxPrefix = "tgfleet-test";
    private static readonly Lock Gate = new();
    private static Lazy<Sandbox> _sandbox = NewSandbox();
    private static Lazy<Task<ThrowawayPostgres>> _postgres = NewPostgres();
    private static Lazy<Task<ThrowawayRabbitMq>> _rabbitMq = NewRabbitMq();
    private static int _sequence;

    /// <summary>Where sandboxes live: <c>TGFLEET_TEST_ROOT</c>, else the temp directory.</summary>
    public static string SandboxRoot =>
        Environment.GetEnvironmentVariable("TGFLEET_TEST_ROOT") is { Length: > 0 } root ? root : Path.GetTempPath();

    /// <summary>The run's PostgreSQL, started on first use with a migrated template database.</summary>
    public static Task<ThrowawayPostgres> PostgresAsync() => _postgres.Value;

    /// <summary>The run's RabbitMQ, started on first use.</summary>
    public static Task<ThrowawayRabbitMq> RabbitMqAsync() => _rabbitMq.Value;

    /// <summary>A new database copied from the migrated template, dropped when disposed.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var postgres = await PostgresAsync();
        var name = NewName();
        await postgres.CreateDatabaseAsync(name, TemplateDatabase, cancellationToken);
        return new TestDatabase(postgres, name);
    }

    /// <summary>A new, empty virtual host, deleted when disposed.</summary>
    public static async Task<TestVirtualHost> CreateVirtualHostAsync(CancellationToken cancellationToken = default)
    {
        var rabbitMq = await RabbitMqAsync();
        var name = $"t{Interlocked.Increment(ref _sequence)}-{Guid.NewGuid().ToString("N")[..8]}";
        await rabbitMq.CreateVirtualHostAsync(name, cancellationToken);
        return new TestVirtualHost(rabbitMq, name);
    }

    /// <summary>
    /// A new directory inside the run's sandbox (so a crashed run leaves it to the watchdog or the
    /// next run's clean-up), traversable by the server users.
    /// </summary>
    public static string CreateTempDirectory(string prefix)
    {
        var dir = Path.Combine(_sandbox.Value.Path, $"{prefix}-{Interlocked.Increment(ref _sequence)}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Records a process a test started, so that the run's watchdog kills it if the test host
    /// dies before the test could (it then cleans up after itself, as the demo does).
    /// </summary>
    public static void TrackChildProcess(int pid) => _sandbox.Value.Track(pid);

    /// <summary>Stops whatever was started and removes the sandbox (the end of the run).</summary>
    public static async Task StopAsync()
    {
        Lazy<Sandbox> sandbox;
        Lazy<Task<ThrowawayPostgres>> postgres;
        Lazy<Task<ThrowawayRabbitMq>> rabbitMq;
        lock (Gate)
        {
            (sandbox, postgres, rabbitMq) = (_sandbox, _postgres, _rabbitMq);
            (_sandbox, _postgres, _rabbitMq) = (NewSandbox(), NewPostgres(), NewRabbitMq());
        }

        foreach (var server in new Func<Task>[]
                 {
                     async () => { if (postgres.IsValueCreated) { await (await postgres.Value).DisposeAsync(); } },
                     async () => { if (rabbitMq.IsValueCreated) { await (await rabbitMq.Value).DisposeAsync(); } },
                 })
        {
            try
            {
                await server();
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                // It failed to start; its start error was reported to the tests that needed it.
            }
        }

        if (sandbox.IsValueCreated)
        {
            sandbox.Value.Dispose();
        }
    }

    private static Lazy<Sandbox> NewSandbox() =>
        new(() => Sandbox.Create(SandboxRoot, SandboxPrefix), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// A PostgreSQL and a RabbitMQ of the caller's own, in a sandbox of their own, with one
    /// fixture database and virtual host on them: for a test that takes servers away (stops or
    /// restarts them), which the run's shared servers must never be.
    /// </summary>
    public static async Task<OwnServers> StartOwnServersAsync()
    {
        var sandbox = NewSandbox().Value;
        try
        {
            var postgres = StartMigratedPostgresAsync(sandbox);
            var rabbitMq = ThrowawayRabbitMq.StartAsync(sandbox);
            return await OwnServers.CreateAsync(sandbox, await postgres, await rabbitMq, NewName());
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    private static string NewName() => $"t{Interlocked.Increment(ref _sequence)}_{Guid.NewGuid().ToString("N")[..8]}";

    private static async Task<ThrowawayPostgres> StartMigratedPostgresAsync(Sandbox sandbox)
    {
        var postgres = await ThrowawayPostgres.StartAsync(sandbox);
        await postgres.CreateDatabaseAsync(TemplateDatabase);
        await DatabaseMigrator.MigrateAsync(postgres.ConnectionString(TemplateDatabase), NullLogger.Instance, CancellationToken.None);
        Npgsql.NpgsqlConnection.ClearAllPools(); // a template cannot be copied while connections to it are open
        return postgres;
    }

    private static Lazy<Task<ThrowawayPostgres>> NewPostgres() =>
        new(() => StartMigratedPostgresAsync(_sandbox.Value), LazyThreadSafetyMode.ExecutionAndPublication);

    private static Lazy<Task<ThrowawayRabbitMq>> NewRabbitMq() =>
        new(() => ThrowawayRabbitMq.StartAsync(_sandbox.Value), LazyThreadSafetyMode.ExecutionAndPublication);
}
