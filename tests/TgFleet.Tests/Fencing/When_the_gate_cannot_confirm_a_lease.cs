using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Fencing;

[TestFixture, Category("Fencing")]
public sealed class When_the_gate_cannot_confirm_a_lease
{
    private const string Worker = "worker-a";
    private TestDatabase _db = null!;
    private GateUnderTest _gate = null!;
    private EchoServer _echo = null!;

    [SetUp]
    public async Task StartGate()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _gate = await GateUnderTest.StartAsync(_db.ConnectionString, Worker);
        _echo = new EchoServer();
    }

    [TearDown]
    public async Task StopGate()
    {
        _echo.Dispose();
        await _gate.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task An_account_whose_shard_its_worker_does_not_hold_is_refused()
    {
        await Leases.GrantAsync(_db.ConnectionString, 2, "someone-else", TimeSpan.FromMinutes(1));

        var (reply, connection) = await SocksClient.ConnectAsync(_gate.Port, Leases.AccountOn(2), "-", _echo.Port);

        Assert.That(reply, Is.EqualTo(0x02), "SOCKS5 'connection not allowed by ruleset'");
        Assert.That(connection, Is.Null);
        Assert.That(_echo.Accepted, Is.Zero, "nothing reached the destination");
        await Wait.UntilAsync(async () => await _gate.MetricAsync("tgfleet_gate_connections_refused_total") == 1, TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task An_account_of_a_held_shard_gets_through()
    {
        await Leases.GrantAsync(_db.ConnectionString, 3, Worker, TimeSpan.FromMinutes(1));

        var (reply, connection) = await SocksClient.ConnectAsync(_gate.Port, Leases.AccountOn(3), "-", _echo.Port);
        using (connection)
        {
            Assert.That(reply, Is.Zero);
            Assert.That(await SocksClient.EchoesAsync(connection!), Is.True, "bytes flow both ways");
            await Wait.UntilAsync(async () => await _gate.MetricAsync("tgfleet_gate_connections_open") == 1, TimeSpan.FromSeconds(10));
        }
    }

    [Test]
    public async Task Its_connections_are_reset_when_the_lease_expires_and_the_epoch_is_recorded_closed()
    {
        var epoch = await Leases.GrantAsync(_db.ConnectionString, 5, Worker, TimeSpan.FromSeconds(2));
        var (reply, connection) = await SocksClient.ConnectAsync(_gate.Port, Leases.AccountOn(5), "-", _echo.Port);
        using (connection)
        {
            Assert.That(reply, Is.Zero);

            // Nobody renews: the worker is paused. The gate closes the connection on its own.
            await Wait.UntilAsync(async () => !await SocksClient.EchoesAsync(connection!), TimeSpan.FromSeconds(30), () => "the connection still carries bytes");
        }

        await Wait.UntilAsync(async () => (await Leases.RecordOfAsync(_db.ConnectionString, 5, epoch)).ClosedEpoch == epoch, TimeSpan.FromSeconds(30),
            () => "the epoch was not recorded closed");
        var record = await Leases.RecordOfAsync(_db.ConnectionString, 5, epoch);
        Assert.That(record.Connections, Is.EqualTo(1), "lease_fences counts the epoch's connection");
        await Wait.UntilAsync(async () => await _gate.MetricAsync("tgfleet_gate_connections_fenced_total") == 1, TimeSpan.FromSeconds(10));

        var (again, _) = await SocksClient.ConnectAsync(_gate.Port, Leases.AccountOn(5), "-", _echo.Port);
        Assert.That(again, Is.EqualTo(0x02), "a recorded epoch is refused");
    }

    [Test]
    public async Task An_epoch_recorded_closed_can_no_longer_be_renewed()
    {
        var epoch = await Leases.GrantAsync(_db.ConnectionString, 6, Worker, TimeSpan.FromSeconds(1));
        await Wait.UntilAsync(async () => (await Leases.RecordOfAsync(_db.ConnectionString, 6, epoch)).ClosedEpoch == epoch, TimeSpan.FromSeconds(30),
            () => "the expired epoch was not recorded closed");

        // As if a renewal had raced the record and won the clock: the epoch must stay over all the same.
        await using (var conn = new Npgsql.NpgsqlConnection(_db.ConnectionString))
        {
            await Dapper.SqlMapper.ExecuteAsync(conn, "UPDATE shard_leases SET expires_at = now() + interval '1 minute' WHERE shard = 6");
        }

        var store = new TgFleet.Worker.Sharding.ShardLeaseStore(Npgsql.NpgsqlDataSource.Create(_db.ConnectionString));
        var renewed = await store.RenewAsync(Worker, [new TgFleet.Worker.Sharding.ShardLease(6, epoch)], TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5),
            CancellationToken.None);

        Assert.That(renewed, Is.Empty);
        var (reply, _) = await SocksClient.ConnectAsync(_gate.Port, Leases.AccountOn(6), "-", _echo.Port);
        Assert.That(reply, Is.EqualTo(0x02), "the gate refuses it too");
    }
}
