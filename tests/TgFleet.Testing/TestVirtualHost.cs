using TgFleet.DevServers;

namespace TgFleet.Testing;

/// <summary>A fixture's own RabbitMQ virtual host.</summary>
public sealed class TestVirtualHost(ThrowawayRabbitMq server, string name) : IAsyncDisposable
{
    /// <summary>The virtual host's name.</summary>
    public string Name { get; } = name;

    /// <summary>An amqp:// URI for it (user and password included).</summary>
    public Uri AmqpUri { get; } = server.AmqpUri(name);

    /// <summary>The broker it lives on, for management queries.</summary>
    public ThrowawayRabbitMq Server { get; } = server;

    /// <summary>Deletes it with its queues and exchanges.</summary>
    public async ValueTask DisposeAsync() => await Server.DeleteVirtualHostAsync(Name);
}
