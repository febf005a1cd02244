using System.Diagnostics;
using MassTransit;

namespace TgFleet.FleetBench;

/// <summary>A request shaped like SendMessage (ids and a short text).</summary>
public sealed record BenchPing(Guid CommandId, string AccountId, string Text);

/// <summary>An answer shaped like MessageSent.</summary>
public sealed record BenchPong(Guid CommandId, string AccountId, long ChatId, long MessageId, DateTimeOffset SentAt);

/// <summary>
/// R1's denominator: bare MassTransit request/response over the same RabbitMQ. The responder is a
/// child process (as the worker is) with one receive endpoint that answers at once; the requester
/// keeps the same number of requests in flight as the fleet run has sending accounts.
/// </summary>
internal static class RequestResponseBaseline
{
    public const string ResponderCommand = "__responder";
    private const string Queue = "fleetbench.ping";
    private const string QuorumQueue = "fleetbench.ping.quorum";

    /// <summary>The hidden sub-command: answers every BenchPing until stdin closes or SIGTERM.</summary>
    public static async Task<int> RespondAsync(Uri amqp, int prefetch)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(amqp);
            cfg.ReceiveEndpoint(Queue, e =>
            {
                e.PrefetchCount = prefetch;
                e.Handler<BenchPing>(Respond);
            });
            // The same on a quorum queue, the kind the shard queues are: for comparison only.
            cfg.ReceiveEndpoint(QuorumQueue, e =>
            {
                e.SetQuorumQueue();
                e.PrefetchCount = prefetch;
                e.Handler<BenchPing>(Respond);
            });
        });
        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        await bus.StartAsync(stop.Token);
        Console.WriteLine("ready");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await bus.StopAsync(CancellationToken.None);
        return 0;
    }

    private static Task Respond(ConsumeContext<BenchPing> c) =>
        c.RespondAsync(new BenchPong(c.Message.CommandId, c.Message.AccountId, 1, 1, c.SentTime is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : default));

    /// <summary>
    /// <paramref name="count"/> round trips on the classic queue (R1's denominator) and on a quorum
    /// queue like the shard queues (for comparison), <paramref name="window"/> in flight, each
    /// queue warmed up with <paramref name="warmUp"/> of them before either is measured.
    /// </summary>
    public static async Task<((double RoundTripsPerSecond, string Cpu) Classic, (double RoundTripsPerSecond, string Cpu) Quorum)> MeasureAsync(
        IBus bus, int window, int warmUp, int count, Dictionary<int, string> roles, CancellationToken cancellationToken)
    {
        // An exchange address, as the fleet's SendToShard uses: a queue: send would declare a classic
        // queue, which RabbitMQ refuses for the quorum one.
        var classic = bus.CreateRequestClient<BenchPing>(new Uri("exchange:" + Queue), RequestTimeout.After(s: 60));
        var quorum = bus.CreateRequestClient<BenchPing>(new Uri("exchange:" + QuorumQueue), RequestTimeout.After(s: 60));
        await RunAsync(classic, window, warmUp, cancellationToken);
        await RunAsync(quorum, window, warmUp, cancellationToken);
        return (await MeasureAsync(classic, window, count, roles, cancellationToken), await MeasureAsync(quorum, window, count, roles, cancellationToken));
    }

    private static async Task<(double RoundTripsPerSecond, string Cpu)> MeasureAsync(IRequestClient<BenchPing> client, int window, int count, Dictionary<int, string> roles, CancellationToken cancellationToken)
    {
        var cpu = CpuMeter.Start(roles);
        var clock = Stopwatch.StartNew();
        await RunAsync(client, window, count, cancellationToken);
        var rate = count / clock.Elapsed.TotalSeconds;
        return (rate, cpu.Stop(count));
    }

    private static async Task RunAsync(IRequestClient<BenchPing> client, int window, int count, CancellationToken cancellationToken)
    {
        var remaining = (long)count;
        await Task.WhenAll(Enumerable.Range(0, window).Select(async lane =>
        {
            var account = "bench-" + lane;
            var n = 0;
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var response = await client.GetResponse<BenchPong>(new BenchPing(NewId.NextGuid(), account, $"bench {lane}/{n++}"), cancellationToken);
                GC.KeepAlive(response);
            }
        }));
    }
}
