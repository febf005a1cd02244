using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// Readiness of a worker: it holds its shards and can write to the database. That is: its last
/// lease round wrote to the database, it holds its fair share of the shards (or every shard not
/// held by another live worker) and every one of them is started (accounts restored, queue
/// consumed), and it is not handing its shards over. Starting, waiting for a take-over and
/// handing over are expected, not failures: they are Degraded (logged as warnings, answered 503
/// by <c>/health/ready</c>), so every start and stop does not log errors; a database it cannot
/// write to is Unhealthy.
/// </summary>
public sealed class ShardOwnershipHealthCheck(ShardOwnership ownership, IHostApplicationLifetime lifetime) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var owned = ownership.Owned.Count;
        var data = new Dictionary<string, object> { ["worker"] = ownership.WorkerId, ["shards"] = owned };
        return Task.FromResult(
            lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Degraded($"Worker {ownership.WorkerId} is handing its shards over.", data: data)
            : !ownership.Joined ? HealthCheckResult.Degraded($"Worker {ownership.WorkerId} has not joined shard ownership yet.", data: data)
            : !ownership.DatabaseWritable ? HealthCheckResult.Unhealthy($"Worker {ownership.WorkerId} cannot write to the database (its last lease round failed).", data: data)
            : !ownership.Settled ? HealthCheckResult.Degraded($"Worker {ownership.WorkerId} is still taking or starting its shards ({owned} running).", data: data)
            : HealthCheckResult.Healthy($"Worker {ownership.WorkerId} owns {owned} shards.", data));
    }
}
