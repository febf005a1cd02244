using System.Globalization;
using NUnit.Framework;
using TgFleet.DevServers;
using TgFleet.Testing;

namespace TgFleet.Tests.Fencing;

/// <summary>The gate as it runs beside a worker: <c>dotnet TgFleet.Worker.dll gate</c>, configured like the worker.</summary>
[TestFixture, Category("Fencing")]
public sealed class When_the_gate_runs_as_its_own_process
{
    private const string Worker = "worker-p";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private TestDatabase _db = null!;
    private EchoServer _echo = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _echo = new EchoServer();
    }

    [TearDown]
    public async Task DropDatabase()
    {
        _echo.Dispose();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task It_refuses_bytes_for_a_shard_whose_lease_it_cannot_confirm_and_says_so_in_its_metrics()
    {
        var (gate, port, http) = Start(parentWatch: false);
        await using (gate)
        {
            await Wait.UntilAsync(async () => gate.HasExited || await ReadyAsync(http), TimeSpan.FromSeconds(60), () => gate.Output);
            Assert.That(gate.HasExited, Is.False, gate.Output);

            var (refused, _) = await SocksClient.ConnectAsync(port, Leases.AccountOn(1), "-", _echo.Port);
            await Leases.GrantAsync(_db.ConnectionString, 1, Worker, TimeSpan.FromSeconds(3));
            var (reply, connection) = await SocksClient.ConnectAsync(port, Leases.AccountOn(1), "-", _echo.Port);
            using (connection)
            {
                Assert.That(refused, Is.EqualTo(0x02), "before the lease");
                Assert.That(reply, Is.Zero, "with the lease");
                Assert.That(await SocksClient.EchoesAsync(connection!), Is.True);
                await Wait.UntilAsync(async () => !await SocksClient.EchoesAsync(connection!), TimeSpan.FromSeconds(30), () => "still open after the lease expired");
            }

            await Wait.UntilAsync(async () => await Metrics.ReadAsync(http, "tgfleet_gate_connections_refused_total") == 1
                && await Metrics.ReadAsync(http, "tgfleet_gate_connections_fenced_total") == 1
                && await Metrics.ReadAsync(http, "tgfleet_gate_connections_open") == 0, TimeSpan.FromSeconds(10), () => "metrics: refused 1, fenced 1, open 0 expected");
        }
    }

    [Test]
    public async Task A_child_gate_whose_worker_is_gone_records_its_leases_closed_then_exits()
    {
        var epoch = await Leases.GrantAsync(_db.ConnectionString, 4, Worker, TimeSpan.FromSeconds(3));

        // ProcessRun closes the child's standard input at once: to a child gate, its worker is gone.
        var (gate, _, _) = Start(parentWatch: true);
        await using (gate)
        {
            var exit = await gate.ExitAsync(TimeSpan.FromSeconds(60));
            Assert.That(exit, Is.Zero, gate.Output);
        }

        Assert.That((await Leases.RecordOfAsync(_db.ConnectionString, 4, epoch)).ClosedEpoch, Is.EqualTo(epoch), "recorded before it exited");
    }

    private (ProcessRun Gate, int Port, Uri Http) Start(bool parentWatch)
    {
        var dll = Repository.ProcessDll("Worker");
        var port = FreePort.Next();
        var httpPort = FreePort.Next();
        var run = ProcessRun.Start("dotnet", [dll, "gate"], workingDirectory: Path.GetDirectoryName(dll), environment: new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{httpPort}",
            ["Database__ConnectionString"] = _db.ConnectionString,
            ["Shards__WorkerId"] = Worker,
            ["Shards__Count"] = "8",
            ["Gate__Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Gate__PollInterval"] = "00:00:00.200",
            ["Gate__ParentWatch"] = parentWatch ? "true" : "false",
        });
        return (run, port, new Uri($"http://127.0.0.1:{httpPort}/"));
    }

    private static async Task<bool> ReadyAsync(Uri http)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(http, "health/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
