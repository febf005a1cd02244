using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Gate;
using TgFleet.Testing;
using TgFleet.Worker.Fencing;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// An account whose own proxy is MTProto: the gate cannot chain it (TDLib speaks MTProto to it), so
/// it relays it. The worker asks the gate for the account's relay port; TDLib uses that port as
/// its MTProto proxy; the gate relays the bytes unchanged to the real proxy (here an echo server on
/// loopback standing in for it) while the shard's lease is valid, and refuses and resets once it is not.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_an_account_has_an_MTProto_proxy
{
    private const string Worker = "worker-m";
    private const string Secret = "dd0123456789abcdef0123456789abcdef";

    [Test]
    public async Task The_gate_relays_its_bytes_to_the_real_proxy_only_while_the_lease_is_valid()
    {
        await using var db = await TestInfrastructure.CreateDatabaseAsync();
        using var proxy = new EchoServer();
        await using var gate = await GateUnderTest.StartAsync(db.ConnectionString, Worker);
        var account = Leases.AccountOn(5);
        var route = EgressRoute.ThroughGate("127.0.0.1", gate.Port);
        var own = new ProxySettings(ProxyKind.MtProto, "127.0.0.1", proxy.Port) { Secret = Secret };

        var refused = await route.ProxyForAsync(account, own, CancellationToken.None);
        await Leases.GrantAsync(db.ConnectionString, 5, Worker, TimeSpan.FromSeconds(4));
        var relayed = await route.ProxyForAsync(account, own, CancellationToken.None);
        var again = await route.ProxyForAsync(account, own, CancellationToken.None);

        Assert.That(refused!.Type, Is.InstanceOf<Td.ProxyTypeSocks5>(), "no relay without a lease: a route the gate refuses");
        Assert.That(relayed!.Type, Is.InstanceOf<Td.ProxyTypeMtproto>().With.Property(nameof(Td.ProxyTypeMtproto.Secret)).EqualTo(Secret));
        Assert.That(relayed.Port, Is.Not.EqualTo(gate.Port).And.EqualTo(again!.Port), "a relay port of its own, the same when asked again");

        using var first = await ConnectAsync(relayed.Port);
        Assert.That(await SocksClient.EchoesAsync(first), Is.True, "bytes relayed to the real proxy and back, unchanged");
        Assert.That(proxy.Accepted, Is.EqualTo(1));

        await Wait.UntilAsync(async () => !await SocksClient.EchoesAsync(first), TimeSpan.FromSeconds(30), () => "still relayed after the lease expired");
        var accepted = proxy.Accepted;
        var refusedBefore = await gate.MetricAsync("tgfleet_gate_connections_refused_total");
        // Reset at once: the reset may already be there when the connect completes.
        using var late = await TryConnectAsync(relayed.Port);
        Assert.That(late is not null && await SocksClient.EchoesAsync(late), Is.False, "a connection after the lease is reset, not relayed");
        await Wait.UntilAsync(async () => await gate.MetricAsync("tgfleet_gate_connections_refused_total") > refusedBefore, TimeSpan.FromSeconds(10), () => "not counted as refused");
        Assert.That(proxy.Accepted, Is.EqualTo(accepted), "it never reached the real proxy");
        Assert.That(await gate.MetricAsync("tgfleet_gate_connections_fenced_total"), Is.EqualTo(1));
        Assert.That(await gate.MetricAsync("tgfleet_gate_relays"), Is.EqualTo(1), "the relay stays while the worker holds the shard's row");
    }

    [Test]
    public async Task TDLib_naming_an_MTProto_proxy_in_a_SOCKS5_connect_is_refused()
    {
        await using var db = await TestInfrastructure.CreateDatabaseAsync();
        using var proxy = new EchoServer();
        await using var gate = await GateUnderTest.StartAsync(db.ConnectionString, Worker);
        await Leases.GrantAsync(db.ConnectionString, 5, Worker, TimeSpan.FromMinutes(1));

        var (reply, connection) = await SocksClient.ConnectAsync(gate.Port, Leases.AccountOn(5), Upstream.Describe("mtproto", "127.0.0.1", proxy.Port, null, null), proxy.Port);

        Assert.That(reply, Is.EqualTo(0x02));
        Assert.That(connection, Is.Null);
        Assert.That(proxy.Accepted, Is.Zero);
    }

    private static async Task<TcpClient?> TryConnectAsync(int port)
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return client;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            client.Dispose();
            return null;
        }
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        return client;
    }
}
