using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Sharding;

[TestFixture, Category("Worker")]
public sealed class When_a_worker_cannot_renew
{
    private TestDatabase _db = null!;

    [SetUp]
    public async Task CreateDatabase() => _db = await TestInfrastructure.CreateDatabaseAsync();

    [TearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task It_stops_its_shards_before_the_leases_can_expire()
    {
        var ledger = new ShardLedger();
        var a = Ownership.Create(_db.ConnectionString, ledger.HostFor("a"), "a", shards: 2);
        await a.StartAsync(CancellationToken.None);
        try
        {
            await Wait.UntilAsync(() => a.Owned.Count == 2, TimeSpan.FromSeconds(20));

            // Hold the lease table: every renewal now waits, as on a partitioned network.
            await using var blocker = new NpgsqlConnection(_db.ConnectionString);
            await blocker.OpenAsync();
            await using var tx = await blocker.BeginTransactionAsync();
            await blocker.ExecuteAsync("LOCK TABLE shard_leases IN ACCESS EXCLUSIVE MODE", transaction: tx);
            var expiries = (await blocker.QueryAsync<DateTime>("SELECT expires_at FROM shard_leases", transaction: tx)).ToList();

            await Wait.UntilAsync(() => a.Owned.Count == 0, TimeSpan.FromSeconds(10), () => $"{a.Owned.Count} still owned");
            var fencedAt = await blocker.ExecuteScalarAsync<DateTime>("SELECT clock_timestamp()", transaction: tx);
            await tx.RollbackAsync();

            Assert.That(fencedAt, Is.LessThan(expiries.Min()), "fenced before the first lease could expire");
            Assert.That(ledger.Events.Where(e => e.What.StartsWith("stop", StringComparison.Ordinal)).Select(e => e.What),
                Is.All.EqualTo("stop:Fenced"));
        }
        finally
        {
            await a.StopAsync(CancellationToken.None);
        }
    }
}
