using System.Diagnostics;
using Microsoft.Extensions.Options;
using TgFleet.Hosting;

namespace TgFleet.Worker.Fencing;

/// <summary>
/// A worker that continues after a pause longer than its AMQP heartbeat (<c>RabbitMq:Heartbeat</c>)
/// ends itself at once, as kill -9 would (docs/fencing.md, "The frozen worker's commands, and its
/// return"). By then the broker has dropped its connection and given its deliveries to the shards'
/// next owners, and RabbitMQ.Client 7.2.2 can hang for good on the first writes into that dead
/// socket, so the process could neither fence cleanly nor rejoin. Ending it is safe: its gate has
/// already closed its accounts' connections, its sessions are checkpointed, and every command it
/// had is back in its queue or resolved by the next owner (the kill -9 guarantees). Its supervisor
/// (Kubernetes, compose, the demo) starts a fresh worker, which joins as a new member. The pause is
/// seen on the monotonic clock, which counts on while a process is stopped.
/// </summary>
public sealed partial class PauseWatch(IOptions<RabbitMqOptions> rabbitMq, TimeProvider time, ILogger<PauseWatch> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    /// <remarks>
    /// The watch runs on a thread of its own, not on the thread pool: a starved pool (a worker
    /// under load) must not look like a pause. Only the operating system's scheduler delays it.
    /// </remarks>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var limit = rabbitMq.Value.Heartbeat;
        var watch = new Thread(() => Watch(limit, stoppingToken)) { IsBackground = true, Name = "tgfleet-pause-watch" };
        watch.Start();
        return Task.CompletedTask;
    }

    private void Watch(TimeSpan limit, CancellationToken stoppingToken)
    {
        var last = time.GetTimestamp();
        while (!stoppingToken.WaitHandle.WaitOne(Tick))
        {
            var now = time.GetTimestamp();
            var gap = time.GetElapsedTime(last, now);
            last = now;
            if (gap > limit)
            {
                Log.ResumedTooLate(logger, gap.TotalSeconds, limit.TotalSeconds);
                Thread.Sleep(TimeSpan.FromMilliseconds(200)); // lets the log line out
                using var self = Process.GetCurrentProcess();
                self.Kill();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ResumedTooLate, Level = LogLevel.Critical,
            Message = "The worker continued after a pause of {Paused:0.0} s, longer than its AMQP heartbeat ({Heartbeat:0} s): the broker has dropped its connection. It ends now, as kill -9 would; its supervisor starts a fresh worker")]
        internal static partial void ResumedTooLate(ILogger logger, double paused, double heartbeat);
    }
}
