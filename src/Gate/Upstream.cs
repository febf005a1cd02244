using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TgFleet.Gate;

/// <summary>
/// How the gate reaches a destination for an account: directly, or through the account's own
/// SOCKS5 or HTTP proxy. The worker passes it as the SOCKS5 password TDLib gives the gate:
/// empty or <c>-</c> for direct, else <c>socks5://[user:password@]host:port</c> or
/// <c>http://[user:password@]host:port</c> (user and password percent-encoded). An account's
/// MTProto proxy, <c>mtproto://host:port</c>, is not chained but relayed: the worker names it in a
/// BIND request (<see cref="MtprotoRelayRequest"/>), never TDLib in a CONNECT.
/// </summary>
public sealed record Upstream(string Kind, string Host, int Port, string? Username, string? Password)
{
    /// <summary>Direct: no proxy of the account's own.</summary>
    public static Upstream? Direct => null;

    /// <summary>Reads a descriptor; false when it is not one of the forms above.</summary>
    public static bool TryParse(string descriptor, out Upstream? upstream)
    {
        upstream = null;
        if (descriptor.Length == 0 || descriptor == "-")
        {
            return true;
        }

        if (!Uri.TryCreate(descriptor, UriKind.Absolute, out var uri) || uri.Scheme is not ("socks5" or "http" or "mtproto") || uri.Port <= 0 || uri.Host.Length == 0)
        {
            return false;
        }

        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        upstream = new Upstream(uri.Scheme, uri.IdnHost, uri.Port, user, password);
        return true;
    }

    /// <summary>The descriptor for a proxy (what the worker puts in the SOCKS5 password).</summary>
    public static string Describe(string kind, string host, int port, string? username, string? password)
    {
        var userInfo = string.IsNullOrEmpty(username) ? string.Empty
            : Uri.EscapeDataString(username) + (password is null ? string.Empty : ":" + Uri.EscapeDataString(password)) + "@";
        var hostPart = host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host;
        return kind + "://" + userInfo + hostPart + ":" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>True for the account's MTProto proxy (relayed, not chained).</summary>
    public bool IsMtproto => Kind == "mtproto";

    /// <summary>Opens a connection to <paramref name="destination"/>, through <paramref name="upstream"/> when given.</summary>
    internal static async Task<Socket> ConnectAsync(Upstream? upstream, Destination destination, CancellationToken cancellationToken)
    {
        var first = upstream is null ? destination : new Destination(upstream.Host, upstream.Port);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (IPAddress.TryParse(first.Host, out var ip))
            {
                await socket.ConnectAsync(new IPEndPoint(ip, first.Port), cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(new DnsEndPoint(first.Host, first.Port), cancellationToken);
            }

            if (upstream is not null)
            {
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                if (upstream.Kind == "socks5")
                {
                    await Socks5.ConnectAsync(stream, destination, upstream.Username, upstream.Password, cancellationToken);
                }
                else
                {
                    await HttpConnectAsync(stream, upstream, destination, cancellationToken);
                }
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task HttpConnectAsync(Stream stream, Upstream upstream, Destination destination, CancellationToken cancellationToken)
    {
        var request = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"CONNECT {destination} HTTP/1.1\r\nHost: {destination}\r\n");
        if (!string.IsNullOrEmpty(upstream.Username))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(upstream.Username + ":" + upstream.Password));
            request.Append(CultureInfo.InvariantCulture, $"Proxy-Authorization: Basic {token}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), cancellationToken);

        // Read the answer's head byte by byte: nothing after it may be consumed (it belongs to TDLib).
        var head = new List<byte>(128);
        var one = new byte[1];
        while (head.Count < 8192 && !(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            head.Add(one[0]);
        }

        var status = Encoding.ASCII.GetString([.. head]).Split(' ', 3);
        if (status.Length < 2 || status[1] != "200")
        {
            throw new SocksException("the upstream HTTP proxy answered " + (status.Length > 1 ? status[1] : "nothing"), Socks5.ConnectionRefused);
        }
    }
}
