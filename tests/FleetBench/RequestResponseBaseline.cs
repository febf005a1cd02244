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
    private const string ShardQueuePrefix = "fleetbench.ping.shard.";
    private const int Shards = 64;

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
            // And on 64 quorum queues consumed like the shard endpoints (prefetch 32, one message
            // at a time each): the fleet's RabbitMQ topology without the worker. Comparison only.
            for (var shard = 0; shard < Shards; shard++)
            {
                cfg.ReceiveEndpoint(ShardQueuePrefix + shard.ToString("00", System.Globalization.CultureInfo.InvariantCulture), e =>
                {
                    e.SetQuorumQueue();
                    e.PrefetchCount = 32;
                    e.ConcurrentMessageLimit = 1;
                    e.Handler<BenchPing>(Respond);
                });
            }
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

    /// <summary>One baseline variant's figures.</summary>
    public sealed record Figures(double RoundTripsPerSecond, string Cpu);

    /// <summary>
    /// <paramref name="count"/> round trips on the classic queue (R1's denominator), on a quorum
    /// queue like the shard queues, and over 64 quorum queues consumed like the shard endpoints
    /// (both for comparison), <paramref name="window"/> in flight; every variant is warmed up with
    /// <paramref name="warmUp"/> round trips before any is measured.
    /// </summary>
    public static async Task<(Figures Classic, Figures Quorum, Figures Sharded)> MeasureAsync(
        IBus bus, int window, int warmUp, int count, Dictionary<int, string> roles, CancellationToken cancellationToken)
    {
        // Exchange addresses, as the fleet's SendToShard uses: a queue: send would declare a classic
        // queue, which RabbitMQ refuses for the quorum ones.
        Func<int, IRequestClient<BenchPing>> Single(string queue)
        {
            var client = bus.CreateRequestClient<BenchPing>(new Uri("exchange:" + queue), RequestTimeout.After(s: 60));
            return _ => client;
        }

        var sharded = Enumerable.Range(0, Shards)
            .Select(i => bus.CreateRequestClient<BenchPing>(new Uri("exchange:" + ShardQueuePrefix + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture)), RequestTimeout.After(s: 60)))
            .ToArray();
        var variants = new[] { Single(Queue), Single(QuorumQueue), lane => sharded[lane % Shards] };
        foreach (var variant in variants)
        {
            await RunAsync(variant, window, warmUp, cancellationToken);
        }

        var figures = new List<Figures>();
        foreach (var variant in variants)
        {
            figures.Add(await MeasureAsync(variant, window, count, roles, cancellationToken));
        }

        return (figures[0], figures[1], figures[2]);
    }

    private static async Task<Figures> MeasureAsync(Func<int, IRequestClient<BenchPing>> client, int window, int count, Dictionary<int, string> roles, CancellationToken cancellationToken)
    {
        var cpu = CpuMeter.Start(roles);
        var clock = Stopwatch.StartNew();
        await RunAsync(client, window, count, cancellationToken);
        var rate = count / clock.Elapsed.TotalSeconds;
        return new Figures(rate, cpu.Stop(count));
    }

    private static async Task RunAsync(Func<int, IRequestClient<BenchPing>> clientOf, int window, int count, CancellationToken cancellationToken)
    {
        var remaining = (long)count;
        await Task.WhenAll(Enumerable.Range(0, window).Select(async lane =>
        {
            var account = "bench-" + lane;
            var client = clientOf(lane);
            var n = 0;
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var response = await client.GetResponse<BenchPong>(new BenchPing(NewId.NextGuid(), account, $"bench {lane}/{n++}"), cancellationToken);
                GC.KeepAlive(response);
            }
        }));
    }
}
