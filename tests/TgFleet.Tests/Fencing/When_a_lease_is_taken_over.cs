using System.Diagnostics;
using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Sharding;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// The take-over rule (docs/fencing.md): a released lease starts at once; an expired one at once only
/// when its epoch is recorded closed, else after the disconnect delay.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_a_lease_is_taken_over
{
    private const int Shards = 2;
    private TestDatabase _db = null!;

    [SetUp]
    public async Task CreateDatabase() => _db = await TestInfrastructure.CreateDatabaseAsync();

    [TearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task A_released_lease_starts_at_once()
    {
        await LeaveLeasesAsync("dead", "owner = NULL, expires_at = '-infinity'");
        var (started, _) = await TakeOverAsync(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30));
        Assert.That(started, Is.True, "both shards started well before the 5 min disconnect delay");
    }

    [Test]
    public async Task An_expired_lease_whose_connections_are_recorded_closed_starts_at_once()
    {
        await LeaveLeasesAsync("dead", "owner = 'dead', expires_at = now() - interval '1 second', closed_epoch = epoch");
        var (started, _) = await TakeOverAsync(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30));
        Assert.That(started, Is.True, "both shards started well before the 5 min disconnect delay");
    }

    [Test]
    public async Task An_expired_lease_with_no_record_waits_out_the_disconnect_delay()
    {
        var delay = TimeSpan.FromSeconds(4);
        await LeaveLeasesAsync("dead", "owner = 'dead', expires_at = now()");
        var (started, waited) = await TakeOverAsync(delay, TimeSpan.FromSeconds(40));
        Assert.That(started, Is.True);
        Assert.That(waited, Is.GreaterThanOrEqualTo(delay - TimeSpan.FromSeconds(1)), "no shard started before the disconnect delay after the expiry");
    }

    [Test]
    public async Task An_expired_lease_starts_as_soon_as_its_connections_are_recorded_closed()
    {
        await LeaveLeasesAsync("dead", "owner = 'dead', expires_at = now()");
        var ledger = new ShardLedger();
        var owner = Create(ledger, TimeSpan.FromMinutes(5));
        await owner.StartAsync(CancellationToken.None);
        try
        {
            await Wait.UntilAsync(async () => await OwnedByAsync("survivor") == Shards, TimeSpan.FromSeconds(20));
            Assert.That(ledger.RunningOn("survivor"), Is.Zero, "held, not started: the old connections may be live");
            Assert.That(owner.Settled, Is.False, "not ready: every shard it holds still waits, so it serves nothing yet");

            // The dead worker's gate records its epochs closed (as FenceRecords does once they are over).
            await using (var conn = new NpgsqlConnection(_db.ConnectionString))
            {
                await conn.ExecuteAsync("UPDATE shard_leases SET closed_epoch = epoch - 1");
            }

            await Wait.UntilAsync(() => ledger.RunningOn("survivor") == Shards, TimeSpan.FromSeconds(20), () => $"{ledger.RunningOn("survivor")} started");
            await Wait.UntilAsync(() => owner.Settled, TimeSpan.FromSeconds(20), () => "not settled with its shards started");
        }
        finally
        {
            await owner.StopAsync(CancellationToken.None);
        }

        Assert.That(ledger.Violations, Is.Empty);
    }

    /// <summary>Starts a survivor; true when every shard started within <paramref name="deadline"/>, and how long after its start the first did.</summary>
    private async Task<(bool Started, TimeSpan Waited)> TakeOverAsync(TimeSpan disconnectDelay, TimeSpan deadline)
    {
        var ledger = new ShardLedger();
        var owner = Create(ledger, disconnectDelay);
        var begun = Stopwatch.GetTimestamp();
        await owner.StartAsync(CancellationToken.None);
        try
        {
            try
            {
                await Wait.UntilAsync(() => ledger.RunningOn("survivor") == Shards, deadline);
            }
            catch (TimeoutException)
            {
                return (false, Stopwatch.GetElapsedTime(begun));
            }

            return (true, Stopwatch.GetElapsedTime(begun, ledger.Events.Where(e => e.What == "start").Min(e => e.At)));
        }
        finally
        {
            await owner.StopAsync(CancellationToken.None);
        }
    }

    private ShardOwnership Create(ShardLedger ledger, TimeSpan disconnectDelay) =>
        Ownership.Create(_db.ConnectionString, ledger.HostFor("survivor"), "survivor", shards: Shards, disconnectDelay: disconnectDelay);

    private async Task LeaveLeasesAsync(string owner, string set)
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        await conn.ExecuteAsync($"INSERT INTO shard_leases (shard, owner, epoch, expires_at) SELECT s, @Owner, 4, now() + interval '1 minute' FROM generate_series(0, {Shards - 1}) s",
            new { Owner = owner });
        await conn.ExecuteAsync($"UPDATE shard_leases SET {set}");
    }

    private async Task<int> OwnedByAsync(string worker)
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        return await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM shard_leases WHERE owner = @Worker AND expires_at > now()", new { Worker = worker });
    }
}
