using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Sharding;

[TestFixture, Category("Worker")]
public sealed class When_a_session_write_carries_a_stale_epoch
{
    private const string Write = """
        INSERT INTO sessions (account_id, shard, epoch, key_id, blob) VALUES ('acct', 3, @Epoch, 'k1', '\x01')
        ON CONFLICT (account_id) DO UPDATE SET epoch = excluded.epoch, blob = excluded.blob
        """;

    private TestDatabase _db = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        await conn.ExecuteAsync("""
            INSERT INTO accounts (account_id, shard) VALUES ('acct', 3);
            INSERT INTO shard_leases (shard, owner, epoch, expires_at) VALUES (3, 'new-owner', 7, now() + interval '1 minute');
            """);
    }

    [TearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task The_database_refuses_it()
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);

        var error = Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync(Write, new { Epoch = 6L }));

        Assert.That(error!.SqlState, Is.EqualTo("TGF01"));
        Assert.That(await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM sessions"), Is.Zero);
    }

    [Test]
    public async Task The_live_epoch_is_accepted_until_the_lease_expires()
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        Assert.That(await conn.ExecuteAsync(Write, new { Epoch = 7L }), Is.EqualTo(1));

        await conn.ExecuteAsync("UPDATE shard_leases SET expires_at = now() - interval '1 second' WHERE shard = 3");

        var error = Assert.ThrowsAsync<PostgresException>(() => conn.ExecuteAsync(Write, new { Epoch = 7L }));
        Assert.That(error!.SqlState, Is.EqualTo("TGF01"));
    }
}
