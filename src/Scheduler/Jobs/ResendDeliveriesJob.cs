using Quartz;
using TgFleet.Scheduler.Dispatch;

namespace TgFleet.Scheduler.Jobs;

/// <summary>Sends dispatched deliveries that have had no outcome again under their command ids (<see cref="CampaignDispatcher.ResendStaleAsync"/>).</summary>
[DisallowConcurrentExecution]
public sealed class ResendDeliveriesJob(CampaignDispatcher dispatcher) : IJob
{
    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) => await dispatcher.ResendStaleAsync(cancellationToken);
}
