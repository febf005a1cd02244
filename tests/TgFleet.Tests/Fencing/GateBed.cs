using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TgFleet.Contracts.Addressing;
using TgFleet.Gate;
using TgFleet.Hosting;

namespace TgFleet.Tests.Fencing;

/// <summary>A real egress gate run in-process on a test database, for one worker id.</summary>
internal sealed class GateUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GateUnderTest(WebApplication app, int port, Uri http)
    {
        _app = app;
        Port = port;
        Http = http;
    }

    public int Port { get; }

    public Uri Http { get; }

    public static async Task<GateUnderTest> StartAsync(string connectionString, string workerId, int shards = 8)
    {
        var app = GateHost.Build([
            "--urls", "http://127.0.0.1:0",
            "--Database:ConnectionString", connectionString,
            "--Shards:WorkerId", workerId,
            "--Shards:Count", shards.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Gate:PollInterval", "00:00:00.200",
            "--Logging:LogLevel:Default", "Warning",
        ]);
        app.MapFleetEndpoints();
        await app.StartAsync();
        var port = await GateHost.ListeningPortAsync(app);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GateUnderTest(app, port, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>The value of a metric line of <c>/metrics</c> (the sum over its series), 0 when absent.</summary>
    public Task<double> MetricAsync(string name) => Metrics.ReadAsync(Http, name);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Reads Prometheus text from a process's <c>/metrics</c>.</summary>
internal static class Metrics
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static async Task<double> ReadAsync(Uri baseUri, string name)
    {
        var text = await Client.GetStringAsync(new Uri(baseUri, "metrics"));
        return text.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && (l.Length == name.Length || l[name.Length] is ' ' or '{'))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>A TCP server that echoes what it receives and counts the connections it accepted.</summary>
internal sealed class EchoServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _accepted;

    public EchoServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref _accepted);
                _ = EchoAsync(client);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private static async Task EchoAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, read));
                }
            }
            catch (IOException)
            {
                // Reset.
            }
        }
    }

    public void Dispose() => _listener.Stop();
}

/// <summary>TDLib's side of the gate: a SOCKS5 client with username (the account) and password (its own proxy).</summary>
internal static class SocksClient
{
    /// <summary>Connects through the gate; returns the gate's reply code and, when 0, the open connection.</summary>
    public static async Task<(byte Reply, TcpClient? Connection)> ConnectAsync(int gatePort, string account, string password, int destinationPort,
        string destinationHost = "127.0.0.1")
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gatePort);
        var stream = client.GetStream();
        await stream.WriteAsync(new byte[] { 5, 2, 0, 2 });
        var answer = new byte[2];
        await stream.ReadExactlyAsync(answer);
        var user = Encoding.UTF8.GetBytes(account);
        var pass = Encoding.UTF8.GetBytes(password);
        await stream.WriteAsync((byte[])[1, (byte)user.Length, .. user, (byte)pass.Length, .. pass]);
        await stream.ReadExactlyAsync(answer);
        var port = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, (ushort)destinationPort);
        byte[] address = IPAddress.TryParse(destinationHost, out var ip)
            ? [ip.AddressFamily == AddressFamily.InterNetwork ? (byte)1 : (byte)4, .. ip.GetAddressBytes()]
            : [3, (byte)destinationHost.Length, .. Encoding.ASCII.GetBytes(destinationHost)];
        await stream.WriteAsync((byte[])[5, 1, 0, .. address, .. port]);
        var reply = new byte[10];
        try
        {
            await stream.ReadExactlyAsync(reply);
        }
        catch (EndOfStreamException)
        {
            client.Dispose();
            return (0xFF, null);
        }

        if (reply[1] != 0)
        {
            client.Dispose();
            return (reply[1], null);
        }

        return (0, client);
    }

    /// <summary>Sends a few bytes and reads them back (through the echo server); false when the connection is gone.</summary>
    public static async Task<bool> EchoesAsync(TcpClient connection)
    {
        try
        {
            var stream = connection.GetStream();
            var ping = "ping"u8.ToArray();
            await stream.WriteAsync(ping);
            var back = new byte[ping.Length];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await stream.ReadExactlyAsync(back, timeout.Token);
            return back.SequenceEqual(ping);
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            return false;
        }
    }
}

/// <summary>Lease rows written directly, as a worker (or its death) would leave them.</summary>
internal static class Leases
{
    /// <summary>An account id that falls on <paramref name="shard"/> of <paramref name="shards"/>.</summary>
    public static string AccountOn(int shard, int shards = 8) =>
        Enumerable.Range(0, 100_000).Select(i => "acct-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .First(a => ShardAddressing.ShardOf(a, shards) == shard);

    /// <summary>Makes <paramref name="owner"/> hold <paramref name="shard"/> at a new epoch for <paramref name="ttl"/>; returns the epoch.</summary>
    public static async Task<long> GrantAsync(string connectionString, int shard, string owner, TimeSpan ttl)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        return await conn.ExecuteScalarAsync<long>("""
            INSERT INTO shard_leases (shard, owner, epoch, expires_at) VALUES (@Shard, @Owner, 1, now() + @Ttl)
            ON CONFLICT (shard) DO UPDATE SET owner = @Owner, epoch = shard_leases.epoch + 1, expires_at = now() + @Ttl
            RETURNING epoch
            """, new { Shard = shard, Owner = owner, Ttl = ttl });
    }

    /// <summary>The shard's recorded closed epoch, and how many connections the fence record counted (null: no record).</summary>
    public static async Task<(long ClosedEpoch, int? Connections)> RecordOfAsync(string connectionString, int shard, long epoch)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        var closed = await conn.ExecuteScalarAsync<long>("SELECT closed_epoch FROM shard_leases WHERE shard = @Shard", new { Shard = shard });
        var connections = await conn.ExecuteScalarAsync<int?>("SELECT connections FROM lease_fences WHERE shard = @Shard AND epoch = @Epoch", new { Shard = shard, Epoch = epoch });
        return (closed, connections);
    }
}
