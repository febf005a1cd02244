namespace TgFleet.Worker.Sharding;

/// <summary>
/// Declares every shard's exchange and quorum queue when the worker starts, before
/// <see cref="ShardOwnership"/> takes any lease (hosted services start in registration order), so
/// that a command sent to a shard nobody owns yet waits in its queue.
/// </summary>
public sealed partial class DeclareShardTopologyOnStart(ShardTopology topology, Microsoft.Extensions.Options.IOptions<ShardOptions> options,
    ILogger<DeclareShardTopologyOnStart> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await topology.DeclareAsync(cancellationToken);
        Log.TopologyDeclared(logger, options.Value.Count);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.TopologyDeclared, Level = LogLevel.Information, Message = "Declared the exchanges and quorum queues of {Count} shards")]
        internal static partial void TopologyDeclared(ILogger logger, int count);
    }
}
