using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Tests.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// Each simulated client has its own connection through its proxy, so the gate can close one: the
/// simulator backend is fenced exactly as libtdjson is.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_the_gate_fences_a_simulated_client
{
    private const string Worker = "worker-s";
    private TestDatabase _db = null!;
    private GateUnderTest _gate = null!;
    private SimulatorHarness _sim = null!;

    [SetUp]
    public async Task Start()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _gate = await GateUnderTest.StartAsync(_db.ConnectionString, Worker);
        _sim = await SimulatorHarness.StartAsync();
    }

    [TearDown]
    public async Task Stop()
    {
        await _sim.DisposeAsync();
        await _gate.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task Only_the_lapsed_accounts_connection_closes_and_its_session_moves_without_AUTH_KEY_DUPLICATED()
    {
        var fenced = Leases.AccountOn(1);
        var kept = Leases.AccountOn(2);
        await Leases.GrantAsync(_db.ConnectionString, 1, Worker, TimeSpan.FromMinutes(1));
        await Leases.GrantAsync(_db.ConnectionString, 2, Worker, TimeSpan.FromMinutes(1));
        var td = _sim.NewBackend();
        var fencedDirectory = _sim.NewDirectory();
        var a = await LogInThroughGateAsync(td, fenced, fencedDirectory);
        var b = await LogInThroughGateAsync(td, kept, _sim.NewDirectory());
        await Wait.UntilAsync(async () => await _gate.MetricAsync("tgfleet_gate_connections_open") == 2, TimeSpan.FromSeconds(10),
            () => "not one connection per client through the gate");

        await using (var conn = new NpgsqlConnection(_db.ConnectionString))
        {
            await conn.ExecuteAsync("UPDATE shard_leases SET expires_at = now() WHERE shard = 1");
        }

        await td.WaitForUpdateAsync(a, "updateConnectionState", o => TdRecorder.Type(o["state"]) == "connectionStateConnectingToProxy");
        await Wait.UntilAsync(async () => await _gate.MetricAsync("tgfleet_gate_connections_fenced_total") == 1, TimeSpan.FromSeconds(10),
            () => "the gate did not count one fenced connection");
        var answer = await td.RequestAsync(b, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "searchPublicChat", ["username"] = "nobody_here" }));
        Assert.That(answer["message"]?.GetValue<string>(), Is.EqualTo("USERNAME_NOT_OCCUPIED"), "the other account still talks to the cloud");

        // The next owner restores the fenced account's session (a copy of its td.binlog) directly.
        var restored = _sim.NewDirectory();
        Directory.CreateDirectory(restored);
        File.Copy(Path.Combine(fencedDirectory, "td.binlog"), Path.Combine(restored, "td.binlog"));
        var successor = _sim.NewBackend();
        var c = await SimulatorHarness.StartClientAsync(successor, restored);
        await successor.WaitForAuthorizationStateAsync(c, "authorizationStateReady");
        var search = await successor.RequestAsync(c, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "searchPublicChat", ["username"] = "nobody_here" }));

        Assert.That(search["message"]?.GetValue<string>(), Is.EqualTo("USERNAME_NOT_OCCUPIED"), "the session works on its new owner");
        Assert.That((await _sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero);
        await Wait.UntilAsync(async () => await _gate.MetricAsync("tgfleet_gate_connections_refused_total") > 0, TimeSpan.FromSeconds(10),
            () => "the fenced client's reconnects were not refused");
    }

    private async Task<int> LogInThroughGateAsync(TdRecorder td, string accountId, string directory)
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var client = await SimulatorHarness.StartClientAsync(td, directory);
        var proxy = new JsonObject
        {
            ["@type"] = "proxy", ["server"] = "127.0.0.1", ["port"] = _gate.Port,
            ["type"] = new JsonObject { ["@type"] = "proxyTypeSocks5", ["username"] = accountId, ["password"] = "-" },
        };
        SimulatorHarness.Expect(await td.RequestAsync(client, new JsonObject { ["@type"] = "addProxy", ["proxy"] = proxy, ["enable"] = true, ["comment"] = "gate" }.ToJsonString()), "addedProxy");
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateWaitPhoneNumber");
        SimulatorHarness.Expect(await td.RequestAsync(client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "setAuthenticationPhoneNumber", ["phone_number"] = phone })), "ok");
        var code = await _sim.CodeAsync(phone);
        SimulatorHarness.Expect(await td.RequestAsync(client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "checkAuthenticationCode", ["code"] = code })), "ok");
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateReady");
        return client;
    }
}
