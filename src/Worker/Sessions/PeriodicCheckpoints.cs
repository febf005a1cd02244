using Microsoft.Extensions.Options;
using TgFleet.Worker.Accounts;

namespace TgFleet.Worker.Sessions;

/// <summary>
/// Every <see cref="SessionOptions.CheckpointInterval"/>, checkpoints each ready account of the
/// shards this worker owns (besides the checkpoints after a login and on a graceful stop), so a
/// worker that dies loses at most one interval of TDLib's local state, never the session itself.
/// </summary>
public sealed partial class PeriodicCheckpoints(AccountRegistry registry, IOptions<SessionOptions> options, TimeProvider time, ILogger<PeriodicCheckpoints> logger)
    : BackgroundService
{
    /// <summary>Checkpoints every ready account once; returns how many were written.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var written = 0;
        foreach (var runtime in registry.Running)
        {
            if (runtime.State != Contracts.Accounts.AuthenticationState.Ready || runtime.IsClosed)
            {
                continue;
            }

            try
            {
                written += await runtime.Sessions.CheckpointAsync(cancellationToken) ? 1 : 0;
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                Log.Failed(logger, runtime.AccountId, e);
            }
        }

        return written;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var written = await RunOnceAsync(stoppingToken);
                Log.Round(logger, written);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the graceful hand-over checkpoints.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PeriodicCheckpoint, Level = LogLevel.Debug, Message = "Periodic checkpoint wrote {Written} sessions")]
        internal static partial void Round(ILogger logger, int written);

        [LoggerMessage(EventId = EventIds.PeriodicCheckpointFailed, Level = LogLevel.Error, Message = "Periodic checkpoint of account {AccountId} failed")]
        internal static partial void Failed(ILogger logger, string accountId, Exception error);
    }
}
