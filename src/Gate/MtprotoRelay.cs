using System.Net;
using System.Net.Sockets;

namespace TgFleet.Gate;

/// <summary>
/// One account's MTProto relay: a port of the gate's own that TDLib uses as the account's MTProto
/// proxy (with the real proxy's secret), so the port says whose connection it is. The gate relays
/// each connection's bytes unchanged to the real MTProto proxy, lease-checked like a SOCKS5
/// connection. Made (or found) by a BIND request from the worker (<see cref="MtprotoRelayRequest"/>).
/// </summary>
internal sealed class MtprotoRelay(string accountId, int shard, Upstream upstream, Socket listener) : IDisposable
{
    public string AccountId { get; } = accountId;

    public int Shard { get; } = shard;

    public Upstream Upstream { get; } = upstream;

    public Socket Listener { get; } = listener;

    /// <summary>The real MTProto proxy.</summary>
    public Destination Destination { get; } = new(upstream.Host, upstream.Port);

    public int Port { get; } = ((IPEndPoint)listener.LocalEndPoint!).Port;

    /// <summary>
    /// Listens on <paramref name="host"/>:<paramref name="preferredPort"/> (a relay the worker had
    /// before the gate restarted), or on a free port when that is 0 or taken.
    /// </summary>
    public static MtprotoRelay Open(string host, int preferredPort, string accountId, int shard, Upstream upstream)
    {
        var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            try
            {
                listener.Bind(new IPEndPoint(IPAddress.Parse(host), preferredPort));
            }
            catch (SocketException) when (preferredPort != 0)
            {
                listener.Bind(new IPEndPoint(IPAddress.Parse(host), 0));
            }

            listener.Listen(256);
            return new MtprotoRelay(accountId, shard, upstream, listener);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public void Dispose() => Listener.Dispose();
}

/// <summary>
/// The worker's side of an MTProto relay: a SOCKS5 BIND to the gate's port (RFC 1928) with the
/// account id as username and <c>mtproto://host:port</c> (its real proxy) as password; DST.PORT is
/// the relay port the worker had (0: any). The gate answers with the relay's address and port as
/// BND.ADDR and BND.PORT, or refuses (no valid lease for the account's shard).
/// </summary>
public static class MtprotoRelayRequest
{
    /// <summary>The relay's port for <paramref name="accountId"/>, or null when the gate refused or cannot be reached.</summary>
    public static async Task<int?> RegisterAsync(string gateHost, int gatePort, string accountId, string server, int port, int preferredPort,
        CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.TryParse(gateHost, out var ip) ? new IPEndPoint(ip, gatePort) : new DnsEndPoint(gateHost, gatePort), cancellationToken);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var bound = await Socks5.RequestAsync(stream, Socks5.Bind, new Destination("0.0.0.0", preferredPort), accountId,
                Upstream.Describe("mtproto", server, port, null, null), cancellationToken);
            return bound.Port;
        }
        catch (Exception e) when (e is SocksException or SocketException or IOException)
        {
            return null;
        }
    }
}
