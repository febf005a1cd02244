using System.Net;
using System.Net.Sockets;

namespace TgFleet.DevServers;

/// <summary>Finds TCP ports on 127.0.0.1 that nothing listens on.</summary>
public static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>A port the OS reports free now, never the same one twice in this process.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (Handed)
            {
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("No free TCP port on 127.0.0.1 after 50 attempts.");
    }

    /// <summary>Throws a clear error when something already listens on <paramref name="port"/>.</summary>
    public static void EnsureFree(int port, string what)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"Port {port} on 127.0.0.1, wanted for {what}, is already in use ({e.SocketErrorCode}).", e);
        }
    }
}
