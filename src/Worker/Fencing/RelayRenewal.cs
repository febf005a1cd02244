using Microsoft.Extensions.Options;
using TgFleet.Gate;

namespace TgFleet.Worker.Fencing;

/// <summary>
/// Every <see cref="GateOptions.RelayRenewInterval"/>, asks the gate again for the MTProto relays
/// of this worker's accounts on the ports they have (<see cref="EgressRoute.RenewRelaysAsync"/>):
/// a gate that restarted lost them, and TDLib keeps connecting to those ports.
/// </summary>
public sealed class RelayRenewal(EgressRoute egress, IOptions<GateOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RelayRenewInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await egress.RenewRelaysAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
