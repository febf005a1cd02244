using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TgFleet.Tests.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// The simulator's liveness model, on its wire protocol: a session is live while its connection is
/// open and has spoken within the disconnect delay. A frozen client (open, silent) is live; a closed
/// one, or one silent for longer than the delay, is not.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_a_simulated_connection_goes_silent_or_closes
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(3);
    private SimulatorHarness _sim = null!;

    [SetUp]
    public async Task StartSimulator()
    {
        _sim = await SimulatorHarness.StartAsync();
        _sim.Server.Cloud.DisconnectDelay = Delay;
    }

    [TearDown]
    public async Task StopSimulator() => await _sim.DisposeAsync();

    [Test]
    public async Task A_frozen_connection_still_holds_the_session_and_a_second_one_is_AUTH_KEY_DUPLICATED()
    {
        var key = await AuthKeyAsync();
        await using var frozen = await WireClient.ConnectAsync(_sim, "frozen");
        Assert.That(await frozen.CallAsync("attach", key), Is.Null, "attached");

        // It says nothing from now on, as a stopped process; well within the delay another attaches.
        await using var second = await WireClient.ConnectAsync(_sim, "second");
        var error = await second.CallAsync("attach", key);

        Assert.That(error, Is.EqualTo("AUTH_KEY_DUPLICATED"));
        Assert.That((await _sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.EqualTo(1));
    }

    [Test]
    public async Task A_connection_silent_past_the_delay_is_dropped_and_the_session_moves_without_a_duplicate()
    {
        var key = await AuthKeyAsync();
        await using var frozen = await WireClient.ConnectAsync(_sim, "frozen");
        Assert.That(await frozen.CallAsync("attach", key), Is.Null);

        await Wait.UntilAsync(() => _sim.Server.ConnectionCount == 0, Delay * 5, () => $"{_sim.Server.ConnectionCount} connections");
        await using var next = await WireClient.ConnectAsync(_sim, "next");

        Assert.That(await next.CallAsync("attach", key), Is.Null);
        Assert.That((await _sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero);
    }

    [Test]
    public async Task A_closed_connection_frees_the_session_at_once()
    {
        var key = await AuthKeyAsync();
        var first = await WireClient.ConnectAsync(_sim, "first");
        Assert.That(await first.CallAsync("attach", key), Is.Null);
        await first.DisposeAsync();

        await Wait.UntilAsync(() => _sim.Server.ConnectionCount == 0, TimeSpan.FromSeconds(10));
        await using var next = await WireClient.ConnectAsync(_sim, "next");

        Assert.That(await next.CallAsync("attach", key), Is.Null);
        Assert.That((await _sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero);
    }

    [Test]
    public async Task A_client_that_pings_stays_live_past_the_delay()
    {
        var td = _sim.NewBackend();
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var client = await _sim.LoginAsync(td, phone, _sim.NewDirectory());
        var connections = _sim.Server.ConnectionCount;
        int Drops() => td.Objects(client).Count(o => TdRecorder.Type(o["state"]) == "connectionStateConnecting");
        var drops = Drops();

        // A silent connection beside it, as a yardstick: once the cloud has dropped that one, the
        // delay has passed for the pinging client too.
        var silent = await WireClient.ConnectAsync(_sim, "yardstick");
        await using (silent)
        {
            await Wait.UntilAsync(() => _sim.Server.ConnectionCount == connections + 1, TimeSpan.FromSeconds(5));
            await Wait.UntilAsync(() => _sim.Server.ConnectionCount == connections, Delay * 5, () => $"{_sim.Server.ConnectionCount} connections: the silent one was not dropped");
        }

        var answer = await td.RequestAsync(client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "searchPublicChat", ["username"] = "nobody_here" }));

        Assert.That(_sim.Server.ConnectionCount, Is.EqualTo(connections), "the pinging client's connection was kept");
        Assert.That(answer["message"]?.GetValue<string>(), Is.EqualTo("USERNAME_NOT_OCCUPIED"), "the session still answers");
        Assert.That(Drops(), Is.EqualTo(drops), "never dropped");
    }

    private async Task<string> AuthKeyAsync()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        await using var login = await WireClient.ConnectAsync(_sim, "login");
        await login.CallAsync("sendCode", null, ("phone", phone));
        var code = await _sim.CodeAsync(phone);
        var answer = await login.RequestAsync("signIn", ("phone", phone), ("code", code));
        return answer["ok"]!["authKey"]!.GetValue<string>();
    }

    /// <summary>A raw connection on the simulator's wire protocol (docs/simulator.md), that pings only when told.</summary>
    private sealed class WireClient : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private long _id;

        public static async Task<WireClient> ConnectAsync(SimulatorHarness sim, string instance)
        {
            var client = new WireClient();
            await client._socket.ConnectAsync(new Uri(sim.Server.BackendAddress + "?instance=" + instance), CancellationToken.None);
            return client;
        }

        /// <summary>Calls <paramref name="op"/> (attach with <paramref name="authKey"/>); the error message, or null when it succeeded.</summary>
        public async Task<string?> CallAsync(string op, string? authKey, params (string Name, string Value)[] fields)
        {
            var all = authKey is null ? fields : [.. fields, ("authKey", authKey)];
            var answer = await RequestAsync(op, all);
            return answer["error"]?["message"]?.GetValue<string>();
        }

        public async Task<JsonObject> RequestAsync(string op, params (string Name, string Value)[] fields)
        {
            var id = Interlocked.Increment(ref _id);
            var request = new JsonObject { ["id"] = id, ["op"] = op, ["c"] = 1 };
            foreach (var (name, value) in fields)
            {
                request[name] = value;
            }

            await _socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, timeout.Token);
                var frame = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count))!.AsObject();
                if (frame["id"]?.GetValue<long>() == id)
                {
                    return frame;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _socket.Abort();
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
