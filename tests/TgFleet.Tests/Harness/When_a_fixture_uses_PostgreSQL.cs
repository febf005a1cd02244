using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Storage;
using TgFleet.Testing;

namespace TgFleet.Tests.Harness;

[TestFixture, Category("Harness")]
public sealed class When_a_fixture_uses_PostgreSQL
{
    private TestDatabase _database = null!;
    private TestDatabase _other = null!;

    [OneTimeSetUp]
    public async Task CreateDatabases()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync();
        _other = await TestInfrastructure.CreateDatabaseAsync();
    }

    [OneTimeTearDown]
    public async Task DropDatabases()
    {
        await _database.DisposeAsync();
        await _other.DisposeAsync();
    }

    [Test]
    public async Task A_Dapper_query_round_trips_through_the_throwaway_server()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        var row = await connection.QuerySingleAsync<(string Database, int Port, string Version)>(new CommandDefinition(
            "SELECT current_database(), inet_server_port(), current_setting('server_version_num')"));

        Assert.That(row.Database, Is.EqualTo(_database.Name));
        Assert.That(row.Port, Is.EqualTo((await TestInfrastructure.PostgresAsync()).Port));
        Assert.That(row.Version, Does.StartWith("15"), "the harness runs PostgreSQL 15");
    }

    [Test]
    public async Task Its_database_is_a_copy_of_the_migrated_template()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        var applied = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT scriptname FROM schemaversions ORDER BY schemaversionsid"))).ToArray();

        Assert.That(applied, Is.EqualTo(DatabaseMigrator.ScriptNames));
        Assert.That(applied, Is.Not.Empty);
    }

    [Test]
    public async Task Writes_in_one_fixture_database_are_invisible_in_another()
    {
        await using (var connection = new NpgsqlConnection(_database.ConnectionString))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO accounts (account_id, shard) VALUES ('isolation-probe', 1)"));
        }

        await using var other = new NpgsqlConnection(_other.ConnectionString);
        var count = await other.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM accounts WHERE account_id = 'isolation-probe'"));
        Assert.That(count, Is.Zero);
    }

    [Test]
    public async Task Migrating_again_applies_nothing()
    {
        var applied = await DatabaseMigrator.MigrateAsync(_database.ConnectionString,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);

        Assert.That(applied, Is.Empty);
    }
}
