using Dapper;
using NUnit.Framework;
using TgFleet.Hosting;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker;

/// <summary>FleetDatabase.DataSource: statements the fleet runs over and over are prepared, unless the connection string says otherwise.</summary>
[TestFixture, Category("Worker")]
public sealed class When_the_fleet_database_is_opened
{
    private TestDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await TestInfrastructure.CreateDatabaseAsync();

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task A_statement_run_again_and_again_is_prepared_on_the_server()
    {
        await using var source = FleetDatabase.DataSource(_db.ConnectionString);
        await using var conn = await source.OpenConnectionAsync();

        await RunTenTimesAsync(conn);

        var prepared = await conn.QueryAsync<string>("SELECT statement FROM pg_prepared_statements");
        Assert.That(prepared, Has.Some.Contains("FROM command_journal WHERE account_id"));
    }

    [Test]
    public async Task A_connection_string_that_sets_it_keeps_its_own_setting()
    {
        await using var source = FleetDatabase.DataSource(_db.ConnectionString + ";Max Auto Prepare=0");
        await using var conn = await source.OpenConnectionAsync();

        await RunTenTimesAsync(conn);

        Assert.That(await conn.QueryAsync<string>("SELECT statement FROM pg_prepared_statements"), Is.Empty);
    }

    private static async Task RunTenTimesAsync(Npgsql.NpgsqlConnection conn)
    {
        for (var i = 0; i < 10; i++)
        {
            await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM command_journal WHERE account_id = @Account", new { Account = "a" + i });
        }
    }
}
