using NUnit.Framework;
using TgFleet.Testing;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Sharding;

[TestFixture, Category("Worker")]
public sealed class When_shards_take_long_to_start
{
    private TestDatabase _db = null!;

    [SetUp]
    public async Task CreateDatabase() => _db = await TestInfrastructure.CreateDatabaseAsync();

    [TearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task The_leases_are_renewed_in_between_and_no_shard_runs_without_one()
    {
        // Starting 4 shards one after another takes 4 × 0.8 s, longer than TTL − margin (2 s):
        // the leases must be renewed while the later shards start, and a shard fenced while it
        // starts must not keep running.
        var ledger = new ShardLedger();
        var host = new SlowStart(ledger.HostFor("a"), TimeSpan.FromMilliseconds(800));
        var a = Ownership.Create(_db.ConnectionString, host, "a", shards: 4);
        await a.StartAsync(CancellationToken.None);
        try
        {
            await Wait.UntilAsync(() => a.Owned.Count == 4, TimeSpan.FromSeconds(20), () => $"{a.Owned.Count} owned");
            Assert.That(ledger.RunningOn("a"), Is.EqualTo(4));
            Assert.That(ledger.Events.Select(e => e.What), Has.None.StartsWith("stop:"), "no shard was fenced or lost while others started");
        }
        finally
        {
            await a.StopAsync(CancellationToken.None);
        }

        Assert.That(ledger.Violations, Is.Empty);
        Assert.That(ledger.RunningOn("a"), Is.Zero, "nothing runs after the hand-over");
    }

    private sealed class SlowStart(IShardHost inner, TimeSpan delay) : IShardHost
    {
        public async Task StartAsync(ShardLease lease, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            await inner.StartAsync(lease, cancellationToken);
        }

        public Task StopAsync(ShardLease lease, ShardStopReason reason, CancellationToken cancellationToken) => inner.StopAsync(lease, reason, cancellationToken);
    }
}
