using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Testing;
using TgFleet.Tests.Fencing;
using TgFleet.Worker.Fencing;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

/// <summary>
/// The real libtdjson routed the way the worker routes it (<see cref="EgressRoute"/>: the gate as its
/// only proxy, added before <c>setTdlibParameters</c>) connects to Telegram's data centres through a
/// real egress gate. The account's own proxy, which the gate chains, is a SOCKS5 sink on loopback
/// that this test owns: it records where each connection was meant to go and swallows the bytes,
/// so nothing leaves loopback even in principle (and the test runs only in a loopback-only network
/// namespace).
/// </summary>
[TestFixture, Category("Binding")]
public sealed class When_libtdjson_connects_through_the_gate
{
    private const string Worker = "binding-worker";

    [Test]
    public async Task The_gate_forwards_its_attempts_while_the_lease_is_valid_and_refuses_them_once_it_is_gone()
    {
        AssumeLoopbackOnly();
        await using var db = await TestInfrastructure.CreateDatabaseAsync();
        using var sink = new Socks5Sink();
        await using var gate = await GateUnderTest.StartAsync(db.ConnectionString, Worker);
        var account = Leases.AccountOn(3);
        await Leases.GrantAsync(db.ConnectionString, 3, Worker, TimeSpan.FromMinutes(5));

        using var directory = new TempDirectory();
        await using var client = BindingRun.Manager.CreateClient();
        var route = (await EgressRoute.ThroughGate("127.0.0.1", gate.Port).ProxyForAsync(account, new ProxySettings(ProxyKind.Socks5, "127.0.0.1", sink.Port), CancellationToken.None))!;
        var added = client.SendAsync(new Td.AddProxy { Proxy = route, Enable = true, Comment = "tgfleet" }, TimeSpan.FromSeconds(30));
        await client.SendAsync(BindingRun.Parameters(directory.Path), TimeSpan.FromSeconds(30));
        await added;

        await Wait.UntilAsync(async () => sink.Destinations.Count > 0 && sink.BytesReceived > 0 && await gate.MetricAsync("tgfleet_gate_connections_opened_total") > 0,
            TimeSpan.FromSeconds(60), () => $"sink: {sink.Destinations.Count} connections, {sink.BytesReceived} bytes");
        Assert.That(sink.Destinations, Has.All.Matches<IPEndPoint>(TelegramDataCentre), "TDLib's attempts are to Telegram's data centres: " + string.Join(", ", sink.Destinations));

        // The lease is gone: open connections are reset, and every new attempt is refused before it reaches the sink.
        await ExpireAsync(db.ConnectionString, 3);
        await Wait.UntilAsync(async () => await gate.MetricAsync("tgfleet_gate_connections_open") == 0, TimeSpan.FromSeconds(30), () => "connections still open after the lease ended");
        var reached = sink.Destinations.Count;
        var refused = await gate.MetricAsync("tgfleet_gate_connections_refused_total");
        await Wait.UntilAsync(async () => await gate.MetricAsync("tgfleet_gate_connections_refused_total") >= refused + 1, TimeSpan.FromSeconds(90),
            () => "TDLib's later attempts were not refused");

        Assert.That(sink.Destinations, Has.Count.EqualTo(reached), "no attempt reached the account's proxy after the lease ended");
        Assert.That(await gate.MetricAsync("tgfleet_gate_connections_failed_total"), Is.Zero, "the chained sink was the only upstream, and always reachable");
    }

    [Test]
    public async Task Its_MTProto_proxy_is_relayed_by_the_gate_while_the_lease_is_valid_and_refused_once_it_is_gone()
    {
        AssumeLoopbackOnly();
        await using var db = await TestInfrastructure.CreateDatabaseAsync();
        using var proxy = new Socks5Sink(speaksSocks5: false); // stands in for the account's real MTProto proxy
        await using var gate = await GateUnderTest.StartAsync(db.ConnectionString, Worker);
        var account = Leases.AccountOn(3);
        await Leases.GrantAsync(db.ConnectionString, 3, Worker, TimeSpan.FromMinutes(5));

        using var directory = new TempDirectory();
        await using var client = BindingRun.Manager.CreateClient();
        var own = new ProxySettings(ProxyKind.MtProto, "127.0.0.1", proxy.Port) { Secret = "0123456789abcdef0123456789abcdef" };
        var route = (await EgressRoute.ThroughGate("127.0.0.1", gate.Port).ProxyForAsync(account, own, CancellationToken.None))!;
        var added = client.SendAsync(new Td.AddProxy { Proxy = route, Enable = true, Comment = "tgfleet" }, TimeSpan.FromSeconds(30));
        await client.SendAsync(BindingRun.Parameters(directory.Path), TimeSpan.FromSeconds(30));
        await added;

        // An MTProto connection opens with 64 obfuscation bytes; the relay passes them on unchanged.
        await Wait.UntilAsync(async () => proxy.Accepted > 0 && proxy.BytesReceived >= 64 && await gate.MetricAsync("tgfleet_gate_connections_opened_total") > 0,
            TimeSpan.FromSeconds(60), () => $"the stand-in proxy: {proxy.Accepted} connections, {proxy.BytesReceived} bytes");
        Assert.That(route, Has.Property(nameof(Td.Proxy.Port)).Not.EqualTo(gate.Port).And.Property(nameof(Td.Proxy.Type)).InstanceOf<Td.ProxyTypeMtproto>());

        await ExpireAsync(db.ConnectionString, 3);
        await Wait.UntilAsync(async () => await gate.MetricAsync("tgfleet_gate_connections_open") == 0, TimeSpan.FromSeconds(30), () => "connections still open after the lease ended");
        var reached = proxy.Accepted;
        var refused = await gate.MetricAsync("tgfleet_gate_connections_refused_total");
        await Wait.UntilAsync(async () => await gate.MetricAsync("tgfleet_gate_connections_refused_total") >= refused + 1, TimeSpan.FromSeconds(90),
            () => "TDLib's later attempts were not refused");

        Assert.That(proxy.Accepted, Is.EqualTo(reached), "no attempt reached the MTProto proxy after the lease ended");
    }

    private static void AssumeLoopbackOnly()
    {
        var interfaces = File.ReadLines("/proc/self/net/dev").Skip(2).Select(line => line.Split(':')[0].Trim()).ToList();
        Assume.That(string.Join(",", interfaces), Is.EqualTo("lo"), "libtdjson is given its parameters only in a loopback-only network namespace");
    }

    /// <summary>TDLib's built-in data centre addresses (149.154.160.0/20, 91.108.0.0/16, 2001:b28:f23d::/48, 2001:67c:4e8::/48).</summary>
    private static bool TelegramDataCentre(IPEndPoint endpoint)
    {
        var bytes = endpoint.Address.GetAddressBytes();
        return endpoint.Address.AddressFamily == AddressFamily.InterNetwork
            ? (bytes[0] == 149 && bytes[1] == 154 && (bytes[2] & 0xF0) == 160) || (bytes[0] == 91 && bytes[1] == 108)
            : (bytes[0] == 0x20 && bytes[1] == 0x01 && ((bytes[2] == 0x0b && bytes[3] == 0x28 && bytes[4] == 0xf2 && bytes[5] == 0x3d)
                || (bytes[2] == 0x06 && bytes[3] == 0x7c && bytes[4] == 0x04 && bytes[5] == 0xe8)));
    }

    private static async Task ExpireAsync(string connectionString, int shard)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.ExecuteAsync("UPDATE shard_leases SET expires_at = now() - interval '1 second' WHERE shard = @Shard", new { Shard = shard });
    }

    /// <summary>
    /// A SOCKS5 server on loopback (no authentication) that accepts every CONNECT, records its
    /// destination, and reads and discards what follows: it never opens a connection of its own.
    /// Without <c>speaksSocks5</c>, a plain TCP sink (standing in for an MTProto proxy).
    /// </summary>
    private sealed class Socks5Sink : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentQueue<IPEndPoint> _destinations = new();
        private readonly bool _socks5;
        private long _bytes;
        private int _accepted;

        public Socks5Sink(bool speaksSocks5 = true)
        {
            _socks5 = speaksSocks5;
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Accepted => Volatile.Read(ref _accepted);

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public IReadOnlyCollection<IPEndPoint> Destinations => [.. _destinations];

        public long BytesReceived => Interlocked.Read(ref _bytes);

        public void Dispose() => _listener.Stop();

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _accepted);
                    _ = SwallowAsync(client);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private async Task SwallowAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                try
                {
                    if (_socks5 && !await HandshakeAsync(stream))
                    {
                        return;
                    }

                    var buffer = new byte[4096];
                    int read;
                    while ((read = await stream.ReadAsync(buffer)) > 0)
                    {
                        Interlocked.Add(ref _bytes, read);
                    }
                }
                catch (Exception e) when (e is IOException or SocketException or EndOfStreamException)
                {
                    // Reset (by the gate's fence, or by TDLib).
                }
            }
        }

        /// <summary>Answers the greeting and a CONNECT to an address (recorded); false for anything else.</summary>
        private async Task<bool> HandshakeAsync(NetworkStream stream)
        {
            var head = new byte[2];
            await stream.ReadExactlyAsync(head);
            await stream.ReadExactlyAsync(new byte[head[1]]);
            await stream.WriteAsync(new byte[] { 5, 0 });
            var request = new byte[4];
            await stream.ReadExactlyAsync(request);
            var address = new byte[request[3] == 4 ? 16 : 4];
            if (request[3] is not (1 or 4))
            {
                return false; // TDLib names data centres by address
            }

            await stream.ReadExactlyAsync(address);
            var port = new byte[2];
            await stream.ReadExactlyAsync(port);
            _destinations.Enqueue(new IPEndPoint(new IPAddress(address), BinaryPrimitives.ReadUInt16BigEndian(port)));
            await stream.WriteAsync(new byte[] { 5, 0, 0, 1, 127, 0, 0, 1, 0, 0 });
            return true;
        }
    }
}
