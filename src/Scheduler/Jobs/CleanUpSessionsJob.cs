using Quartz;
using TgFleet.Scheduler.Cleanup;

namespace TgFleet.Scheduler.Jobs;

/// <summary>The recurring cleanup of sessions, journal rows, old deliveries and stale workers (<see cref="SessionCleanup.RunAsync"/>).</summary>
[DisallowConcurrentExecution]
public sealed class CleanUpSessionsJob(SessionCleanup cleanup) : IJob
{
    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) => await cleanup.RunAsync(cancellationToken);
}
