using System.Diagnostics;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_the_network_fails : SenderFixture
{
    private int ConnectionStatesSeen(string state) =>
        Td.Objects(Client).Count(o => TdRecorder.Type(o) == "updateConnectionState" && TdRecorder.Type(o["state"]) == state);

    private async Task WaitForConnectionStateAsync(string state, int atLeast) =>
        await TgFleet.Testing.Wait.UntilAsync(() => ConnectionStatesSeen(state) >= atLeast, TdRecorder.Deadline, () => Td.Describe(Client));

    [Test, Order(1)]
    public async Task An_unreachable_server_leaves_clients_connecting_and_a_send_completes_once_after_it_returns()
    {
        var chat = await RecipientAsync("outage_witness");
        var connecting = ConnectionStatesSeen("connectionStateConnecting");
        var ready = ConnectionStatesSeen("connectionStateReady");

        await Sim.SetReachableAsync(false);
        await WaitForConnectionStateAsync("connectionStateConnecting", connecting + 1);
        var pending = await Td.RequestAsync(Client, SimulatorHarness.SendText(chat, "sent during the outage"));
        Assert.That(TdRecorder.Type(pending["sending_state"]), Is.EqualTo("messageSendingStatePending"));
        Assert.That(await Sim.ReceivedAsync("@outage_witness"), Is.Empty);

        await Sim.SetReachableAsync(true);

        await WaitForConnectionStateAsync("connectionStateReady", ready + 1);
        await Td.WaitForUpdateAsync(Client, "updateMessageSendSucceeded", o => o["old_message_id"]!.GetValue<long>() == pending["id"]!.GetValue<long>());
        Assert.That((await Sim.ReceivedAsync("@outage_witness")).Length, Is.EqualTo(1));
    }

    [Test, Order(2)]
    public async Task A_proxy_marked_down_keeps_the_client_connecting_and_testProxy_times_out()
    {
        var proxy = new JsonObject { ["@type"] = "proxy", ["server"] = "10.10.0.1", ["port"] = 1080, ["type"] = new JsonObject { ["@type"] = "proxyTypeSocks5", ["username"] = string.Empty, ["password"] = string.Empty } };
        var added = await Td.RequestAsync(Client, new JsonObject { ["@type"] = "addProxy", ["proxy"] = proxy.DeepClone(), ["enable"] = true, ["comment"] = "fleet proxy" }.ToJsonString());
        SimulatorHarness.Expect(added, "addedProxy");
        Assert.That(added["is_enabled"]!.GetValue<bool>(), Is.True);

        await Sim.SetProxyDownAsync("10.10.0.1", 1080, down: true);

        await WaitForConnectionStateAsync("connectionStateConnectingToProxy", 1);
        var test = await Td.RequestAsync(Client, new JsonObject { ["@type"] = "testProxy", ["proxy"] = proxy.DeepClone(), ["dc_id"] = 2, ["timeout"] = 0.2 }.ToJsonString());
        SimulatorHarness.ExpectError(test, 400, "Connection timed out");
        var proxies = await Td.RequestAsync(Client, """{"@type":"getProxies"}""");
        Assert.That(proxies["proxies"]!.AsArray(), Has.Count.EqualTo(1));

        var ready = ConnectionStatesSeen("connectionStateReady");
        await Sim.SetProxyDownAsync("10.10.0.1", 1080, down: false);
        await WaitForConnectionStateAsync("connectionStateReady", ready + 1);
        SimulatorHarness.Expect(await Td.RequestAsync(Client, new JsonObject { ["@type"] = "testProxy", ["proxy"] = proxy.DeepClone(), ["dc_id"] = 2, ["timeout"] = 1.0 }.ToJsonString()), "ok");
        SimulatorHarness.Expect(await Td.RequestAsync(Client, """{"@type":"disableProxy"}"""), "ok");
        SimulatorHarness.Expect(await Td.RequestAsync(Client, new JsonObject { ["@type"] = "removeProxy", ["proxy_id"] = added["id"]!.GetValue<int>() }.ToJsonString()), "ok");
        Assert.That((await Td.RequestAsync(Client, """{"@type":"getProxies"}"""))["proxies"]!.AsArray(), Is.Empty);
    }

    [Test, Order(3)]
    public async Task Sends_through_a_down_proxy_wait_until_it_is_back()
    {
        var chat = await RecipientAsync("proxy_witness");
        var proxy = new JsonObject { ["@type"] = "proxy", ["server"] = "10.10.0.2", ["port"] = 1081, ["type"] = new JsonObject { ["@type"] = "proxyTypeSocks5", ["username"] = string.Empty, ["password"] = string.Empty } };
        await Sim.SetProxyDownAsync("10.10.0.2", 1081, down: true);
        await Td.RequestAsync(Client, new JsonObject { ["@type"] = "addProxy", ["proxy"] = proxy, ["enable"] = true, ["comment"] = string.Empty }.ToJsonString());

        var pending = await Td.RequestAsync(Client, SimulatorHarness.SendText(chat, "through the proxy"));
        Assert.That(await Sim.ReceivedAsync("@proxy_witness"), Is.Empty);
        await Sim.SetProxyDownAsync("10.10.0.2", 1081, down: false);

        await Td.WaitForUpdateAsync(Client, "updateMessageSendSucceeded", o => o["old_message_id"]!.GetValue<long>() == pending["id"]!.GetValue<long>());
        await Td.RequestAsync(Client, """{"@type":"disableProxy"}""");
    }

    [Test, Order(4)]
    public async Task Configured_latency_delays_every_send()
    {
        var chat = await RecipientAsync("latency_witness");
        await Sim.SetFaultsAsync(Phone, new AccountFaults(LatencyMs: 400, JitterMs: 50));
        var clock = Stopwatch.StartNew();

        var outcome = await SendAndWaitAsync(chat, "slowly");

        Assert.That(TdRecorder.Type(outcome), Is.EqualTo("updateMessageSendSucceeded"));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(340)));
        await Sim.SetFaultsAsync(Phone, new AccountFaults(LatencyMs: 0, JitterMs: 0));
    }
}
