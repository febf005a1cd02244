using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Sharding;

/// <summary>
/// The independent record of which worker runs which shard: every host of a test reports to one
/// ledger, which notes any moment a shard ran in two places.
/// </summary>
internal sealed class ShardLedger
{
    private readonly ConcurrentDictionary<int, string> _running = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<(string Worker, string What, int Shard, long At)> _events = new();

    public IReadOnlyCollection<string> Violations => _violations;

    public IEnumerable<(string Worker, string What, int Shard, long At)> Events => _events;

    public int RunningOn(string worker) => _running.Count(r => r.Value == worker);

    public IShardHost HostFor(string worker) => new Host(this, worker);

    private sealed class Host(ShardLedger ledger, string worker) : IShardHost
    {
        public Task StartAsync(ShardLease lease, CancellationToken cancellationToken)
        {
            if (!ledger._running.TryAdd(lease.Shard, worker))
            {
                ledger._violations.Enqueue($"shard {lease.Shard} started on {worker} while running on {ledger._running[lease.Shard]}");
            }

            ledger._events.Enqueue((worker, "start", lease.Shard, Stopwatch.GetTimestamp()));
            return Task.CompletedTask;
        }

        public Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken)
        {
            ledger._running.TryRemove(new KeyValuePair<int, string>(lease.Shard, worker));
            ledger._events.Enqueue((worker, "stop:" + reason, lease.Shard, Stopwatch.GetTimestamp()));
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// A worker's ShardOwnership (composed by <see cref="WorkerHost"/>) on a test database with short,
/// test-friendly timings, whose shards run on the given host instead of the accounts' host.
/// </summary>
internal static class Ownership
{
    public static ShardOwnership Create(string connectionString, IShardHost host, string workerId, int shards = 8,
        TimeSpan? ttl = null, TimeSpan? renew = null, TimeSpan? margin = null, TimeSpan? disconnectDelay = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = connectionString,
            ["Shards:Count"] = shards.ToString(CultureInfo.InvariantCulture),
            ["Shards:WorkerId"] = workerId,
            ["Shards:LeaseTtl"] = WorkerHost.Span(ttl ?? TimeSpan.FromSeconds(3)),
            ["Shards:RenewInterval"] = WorkerHost.Span(renew ?? TimeSpan.FromMilliseconds(300)),
            ["Shards:FenceMargin"] = WorkerHost.Span(margin ?? TimeSpan.FromSeconds(1)),
        };
        if (disconnectDelay is { } delay)
        {
            settings["Shards:DisconnectDelay"] = WorkerHost.Span(delay);
        }

        var builder = WorkerHost.CreateBuilder(settings);
        builder.Services.Replace(ServiceDescriptor.Singleton(host));
        return builder.Build().Services.GetRequiredService<ShardOwnership>();
    }
}
