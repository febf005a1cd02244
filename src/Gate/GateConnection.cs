using System.Buffers;
using System.Net.Sockets;

namespace TgFleet.Gate;

/// <summary>
/// One account's connection through the gate: TDLib's socket and the upstream socket, bytes pumped
/// both ways. Before a chunk is forwarded, in either direction, the lease is checked on the
/// monotonic clock: a paused gate (or one whose worker was paused) that resumes past the lease
/// forwards nothing more. <see cref="Fence"/> resets both sockets at once.
/// </summary>
internal sealed class GateConnection(Socket client, Socket upstream, int shard, long epoch, LeaseBook leases)
{
    private int _closed;

    public int Shard { get; } = shard;

    public long Epoch { get; } = epoch;

    /// <summary>True when it ended because its lease was no longer valid.</summary>
    public bool Fenced { get; private set; }

    /// <summary>Pumps until either side closes or the lease ends.</summary>
    public async Task RunAsync()
    {
        var toUpstream = PumpAsync(client, upstream);
        var toClient = PumpAsync(upstream, client);
        await Task.WhenAny(toUpstream, toClient);
        Close();
        await Task.WhenAll(toUpstream, toClient);
    }

    /// <summary>Closes both sides at once (a TCP reset: TDLib and the server see it immediately).</summary>
    public void Fence()
    {
        Fenced = true;
        Close();
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        foreach (var socket in (Socket[])[upstream, client])
        {
            try
            {
                if (Fenced)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }

                socket.Close();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        try
        {
            while (true)
            {
                // A zero-byte read waits for data without holding a buffer (thousands of idle connections).
                await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
                try
                {
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                    if (read == 0)
                    {
                        return;
                    }

                    if (!leases.IsValid(Shard, Epoch))
                    {
                        Fence();
                        return;
                    }

                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed (by the other side, the peer or a fence).
        }
    }
}
