using TgFleet.DevServers;

namespace TgFleet.Testing;

/// <summary>A fixture's own database, a copy of the migrated template.</summary>
public sealed class TestDatabase(ThrowawayPostgres server, string name) : IAsyncDisposable
{
    /// <summary>The database name.</summary>
    public string Name { get; } = name;

    /// <summary>A connection string to it.</summary>
    public string ConnectionString { get; } = server.ConnectionString(name);

    /// <summary>Drops it.</summary>
    public async ValueTask DisposeAsync() => await server.DropDatabaseAsync(Name);
}
