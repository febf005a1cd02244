using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TgFleet.Worker.Sharding;

/// <summary>
/// Readiness of a worker: it has joined shard ownership (its first lease round completed: it is
/// counted in the fair share and holds its leases) and is not handing its shards over. Starting
/// and handing over are expected, not failures: they are Degraded (logged as warnings, answered
/// 503 by <c>/health/ready</c>), so every start and stop does not log errors.
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
            : HealthCheckResult.Healthy($"Worker {ownership.WorkerId} owns {owned} shards.", data));
    }
}
