using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Sharding;

[TestFixture, Category("Worker")]
public sealed class When_workers_share_the_shards
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private TestDatabase _db = null!;

    [SetUp]
    public async Task CreateDatabase() => _db = await TestInfrastructure.CreateDatabaseAsync();

    [TearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task A_lone_worker_takes_every_shard()
    {
        var ledger = new ShardLedger();
        var a = Ownership.Create(_db.ConnectionString, ledger.HostFor("a"), "a");
        await a.StartAsync(CancellationToken.None);
        try
        {
            await Wait.UntilAsync(() => a.Owned.Count == 8, Deadline, () => $"{a.Owned.Count} owned");
            Assert.That(a.Owned.Select(l => l.Shard), Is.EquivalentTo(Enumerable.Range(0, 8)));
            Assert.That(a.Owned.Select(l => l.Epoch), Is.All.EqualTo(1L));
        }
        finally
        {
            await a.StopAsync(CancellationToken.None);
        }

        Assert.That(ledger.Violations, Is.Empty);
    }

    [Test]
    public async Task A_joining_worker_gets_a_fair_share_and_no_shard_runs_twice()
    {
        var ledger = new ShardLedger();
        var a = Ownership.Create(_db.ConnectionString, ledger.HostFor("a"), "a");
        var b = Ownership.Create(_db.ConnectionString, ledger.HostFor("b"), "b");
        await a.StartAsync(CancellationToken.None);
        await Wait.UntilAsync(() => a.Owned.Count == 8, Deadline);

        await b.StartAsync(CancellationToken.None);
        try
        {
            await Wait.UntilAsync(() => a.Owned.Count == 4 && b.Owned.Count == 4, Deadline, () => $"a={a.Owned.Count} b={b.Owned.Count}");
            Assert.That(a.Owned.Select(l => l.Shard).Intersect(b.Owned.Select(l => l.Shard)), Is.Empty);
            Assert.That(b.Owned.Select(l => l.Epoch), Is.All.EqualTo(2L), "a moved shard gets a new epoch");
        }
        finally
        {
            await b.StopAsync(CancellationToken.None);
            await a.StopAsync(CancellationToken.None);
        }

        Assert.That(ledger.Violations, Is.Empty);
    }

    [Test]
    public async Task A_stopping_worker_hands_its_shards_over_without_waiting_for_expiry()
    {
        var ledger = new ShardLedger();
        // A long TTL: only an explicit release lets the other worker take the shards in time.
        var ttl = TimeSpan.FromSeconds(60);
        var a = Ownership.Create(_db.ConnectionString, ledger.HostFor("a"), "a", ttl: ttl);
        var b = Ownership.Create(_db.ConnectionString, ledger.HostFor("b"), "b", ttl: ttl);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        try
        {
            await Wait.UntilAsync(() => a.Owned.Count == 4 && b.Owned.Count == 4, Deadline, () => $"a={a.Owned.Count} b={b.Owned.Count}");

            var before = ledger.Events.Count();
            await a.StopAsync(CancellationToken.None);

            Assert.That(ledger.Events.Skip(before).Where(e => e.Worker == "a").Select(e => e.What),
                Is.EqualTo(Enumerable.Repeat("stop:ShuttingDown", 4)));
            await Wait.UntilAsync(() => b.Owned.Count == 8, TimeSpan.FromSeconds(10), () => $"b={b.Owned.Count}");
        }
        finally
        {
            await b.StopAsync(CancellationToken.None);
        }

        Assert.That(ledger.Violations, Is.Empty);
    }
}
