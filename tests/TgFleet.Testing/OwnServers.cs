using TgFleet.DevServers;

namespace TgFleet.Testing;

/// <summary>
/// A fixture's own PostgreSQL (with the migrated template) and RabbitMQ in a sandbox of their own
/// (<see cref="TestInfrastructure.StartOwnServersAsync"/>), with its database and virtual host on
/// them. Taking these servers away disturbs no other fixture. Disposing stops both and removes the sandbox.
/// </summary>
public sealed class OwnServers : IAsyncDisposable
{
    private readonly Sandbox _sandbox;

    private OwnServers(Sandbox sandbox, ThrowawayPostgres postgres, ThrowawayRabbitMq rabbitMq, TestDatabase database, TestVirtualHost virtualHost)
    {
        _sandbox = sandbox;
        Postgres = postgres;
        RabbitMq = rabbitMq;
        Database = database;
        VirtualHost = virtualHost;
    }

    /// <summary>The PostgreSQL server.</summary>
    public ThrowawayPostgres Postgres { get; }

    /// <summary>The RabbitMQ node.</summary>
    public ThrowawayRabbitMq RabbitMq { get; }

    /// <summary>The fixture's database, a copy of the migrated template.</summary>
    public TestDatabase Database { get; }

    /// <summary>The fixture's virtual host.</summary>
    public TestVirtualHost VirtualHost { get; }

    internal static async Task<OwnServers> CreateAsync(Sandbox sandbox, ThrowawayPostgres postgres, ThrowawayRabbitMq rabbitMq, string name)
    {
        await postgres.CreateDatabaseAsync(name, TestInfrastructure.TemplateDatabase);
        await rabbitMq.CreateVirtualHostAsync(name);
        return new OwnServers(sandbox, postgres, rabbitMq, new TestDatabase(postgres, name), new TestVirtualHost(rabbitMq, name));
    }

    /// <summary>Stops both servers (their data is thrown away) and removes the sandbox.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Postgres.DisposeAsync();
            await RabbitMq.DisposeAsync();
        }
        finally
        {
            _sandbox.Dispose();
        }
    }
}
