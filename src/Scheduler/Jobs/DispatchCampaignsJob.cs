using Quartz;
using TgFleet.Scheduler.Dispatch;

namespace TgFleet.Scheduler.Jobs;

/// <summary>Dispatches the deliveries that are due (<see cref="CampaignDispatcher.DispatchDueAsync"/>).</summary>
[DisallowConcurrentExecution]
public sealed class DispatchCampaignsJob(CampaignDispatcher dispatcher) : IJob
{
    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) => await dispatcher.DispatchDueAsync(cancellationToken);
}
