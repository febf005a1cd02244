using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TgFleet.Gate;

/// <summary>Where a connection goes: a host name or address, and a port.</summary>
internal sealed record Destination(string Host, int Port)
{
    public override string ToString() => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// What a SOCKS5 client asked for: who it is (RFC 1929 username and password), the command
/// (<see cref="Socks5.Connect"/>, or <see cref="Socks5.Bind"/>: the worker asking for an account's
/// MTProto relay) and where to.
/// </summary>
internal sealed record SocksRequest(string Username, string Password, Destination Destination, byte Command = Socks5.Connect);

/// <summary>The peer broke the protocol (or asked for something the gate does not do).</summary>
internal sealed class SocksException(string message, byte reply = Socks5.GeneralFailure) : Exception(message)
{
    public byte Reply { get; } = reply;
}

/// <summary>
/// SOCKS5 (RFC 1928) with username/password authentication (RFC 1929): the server side the gate
/// offers TDLib, and the client side it uses to chain an account's own SOCKS5 proxy.
/// </summary>
internal static class Socks5
{
    public const byte Connect = 0x01;
    public const byte Bind = 0x02;
    public const byte Succeeded = 0x00;
    public const byte GeneralFailure = 0x01;
    public const byte NotAllowed = 0x02;
    public const byte HostUnreachable = 0x04;
    public const byte ConnectionRefused = 0x05;
    public const byte CommandNotSupported = 0x07;
    public const byte AddressTypeNotSupported = 0x08;

    /// <summary>
    /// Reads the greeting, requires username/password (the username names the account), reads the
    /// credentials and the CONNECT (or BIND) request. Answers the authentication (accepted: the lease is judged
    /// at CONNECT), not the request: the caller replies with <see cref="ReplyAsync"/>.
    /// </summary>
    public static async Task<SocksRequest> AcceptAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[2];
        await stream.ReadExactlyAsync(head, cancellationToken);
        if (head[0] != 5)
        {
            throw new SocksException("not SOCKS5");
        }

        var methods = new byte[head[1]];
        await stream.ReadExactlyAsync(methods, cancellationToken);
        if (!methods.Contains((byte)0x02))
        {
            await stream.WriteAsync(new byte[] { 5, 0xFF }, cancellationToken);
            throw new SocksException("the client offers no username/password authentication");
        }

        await stream.WriteAsync(new byte[] { 5, 0x02 }, cancellationToken);
        await stream.ReadExactlyAsync(head.AsMemory(0, 2), cancellationToken);
        if (head[0] != 1)
        {
            throw new SocksException("bad username/password negotiation");
        }

        var username = await ReadStringAsync(stream, head[1], cancellationToken);
        await stream.ReadExactlyAsync(head.AsMemory(0, 1), cancellationToken);
        var password = await ReadStringAsync(stream, head[0], cancellationToken);
        await stream.WriteAsync(new byte[] { 1, 0 }, cancellationToken);

        var request = new byte[4];
        await stream.ReadExactlyAsync(request, cancellationToken);
        if (request[0] != 5)
        {
            throw new SocksException("bad request");
        }

        var destination = await ReadAddressAsync(stream, request[3], cancellationToken);
        if (request[1] is not (Connect or Bind))
        {
            throw new SocksException("only CONNECT and BIND are supported", CommandNotSupported);
        }

        return new SocksRequest(username, password, destination, request[1]);
    }

    /// <summary>Answers a request (<see cref="Succeeded"/> or a failure code) with an empty bound address, or <paramref name="bound"/>.</summary>
    public static async Task ReplyAsync(Stream stream, byte reply, CancellationToken cancellationToken, IPEndPoint? bound = null)
    {
        var address = bound?.Address.MapToIPv4().GetAddressBytes() ?? [0, 0, 0, 0];
        var port = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, (ushort)(bound?.Port ?? 0));
        await stream.WriteAsync((byte[])[5, reply, 0, 1, .. address, .. port], cancellationToken);
    }

    /// <summary>Asks a SOCKS5 proxy on <paramref name="stream"/> for a connection to <paramref name="destination"/>.</summary>
    public static async Task ConnectAsync(Stream stream, Destination destination, string? username, string? password, CancellationToken cancellationToken) =>
        _ = await RequestAsync(stream, Connect, destination, username, password, cancellationToken);

    /// <summary>
    /// Sends <paramref name="command"/> for <paramref name="destination"/> to a SOCKS5 server on
    /// <paramref name="stream"/>; returns the bound address of its (first) reply.
    /// </summary>
    public static async Task<Destination> RequestAsync(Stream stream, byte command, Destination destination, string? username, string? password,
        CancellationToken cancellationToken)
    {
        var withCredentials = !string.IsNullOrEmpty(username);
        await stream.WriteAsync(withCredentials ? new byte[] { 5, 1, 2 } : new byte[] { 5, 1, 0 }, cancellationToken);
        var answer = new byte[2];
        await stream.ReadExactlyAsync(answer, cancellationToken);
        if (answer[0] != 5 || (answer[1] != 0 && answer[1] != 2) || (answer[1] == 2 && !withCredentials))
        {
            throw new SocksException("the upstream SOCKS5 proxy refused the authentication methods", ConnectionRefused);
        }

        if (answer[1] == 2)
        {
            var user = Encoding.UTF8.GetBytes(username!);
            var pass = Encoding.UTF8.GetBytes(password ?? string.Empty);
            await stream.WriteAsync((byte[])[1, (byte)user.Length, .. user, (byte)pass.Length, .. pass], cancellationToken);
            await stream.ReadExactlyAsync(answer, cancellationToken);
            if (answer[1] != 0)
            {
                throw new SocksException("the upstream SOCKS5 proxy refused the credentials", ConnectionRefused);
            }
        }

        byte[] address;
        if (IPAddress.TryParse(destination.Host, out var ip))
        {
            address = [ip.AddressFamily == AddressFamily.InterNetwork ? (byte)1 : (byte)4, .. ip.GetAddressBytes()];
        }
        else
        {
            var name = Encoding.ASCII.GetBytes(destination.Host);
            address = [3, (byte)name.Length, .. name];
        }

        var port = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(port, (ushort)destination.Port);
        await stream.WriteAsync((byte[])[5, command, 0, .. address, .. port], cancellationToken);
        var reply = new byte[4];
        await stream.ReadExactlyAsync(reply, cancellationToken);
        if (reply[1] != 0)
        {
            throw new SocksException("the upstream SOCKS5 proxy answered " + reply[1].ToString(CultureInfo.InvariantCulture), reply[1]);
        }

        return await ReadAddressAsync(stream, reply[3], cancellationToken);
    }

    private static async Task<string> ReadStringAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var bytes = new byte[length];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        return Encoding.UTF8.GetString(bytes);
    }

    private static async Task<Destination> ReadAddressAsync(Stream stream, byte type, CancellationToken cancellationToken)
    {
        string host;
        switch (type)
        {
            case 1:
                {
                    var ip = new byte[4];
                    await stream.ReadExactlyAsync(ip, cancellationToken);
                    host = new IPAddress(ip).ToString();
                    break;
                }

            case 4:
                {
                    var ip = new byte[16];
                    await stream.ReadExactlyAsync(ip, cancellationToken);
                    host = new IPAddress(ip).ToString();
                    break;
                }

            case 3:
                {
                    var length = new byte[1];
                    await stream.ReadExactlyAsync(length, cancellationToken);
                    host = await ReadStringAsync(stream, length[0], cancellationToken);
                    break;
                }

            default:
                throw new SocksException("unknown address type", AddressTypeNotSupported);
        }

        var port = new byte[2];
        await stream.ReadExactlyAsync(port, cancellationToken);
        return new Destination(host, BinaryPrimitives.ReadUInt16BigEndian(port));
    }
}
