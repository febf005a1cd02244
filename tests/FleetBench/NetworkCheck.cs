using System.Globalization;
using System.Net;

namespace TgFleet.FleetBench;

/// <summary>
/// The binding tests' approach (When_a_thousand_clients_come_and_go reads /proc/self/fd), applied to
/// another process's sockets: every socket in <c>/proc/PID/fd</c> is looked up in the process's
/// <c>net/tcp</c>, <c>tcp6</c>, <c>udp</c>, <c>udp6</c> tables; any remote address that is not
/// loopback (or unset) means something reached for the network.
/// </summary>
internal static class NetworkCheck
{
    public sealed record Result(int Sockets, int Inet, IReadOnlyList<string> NonLoopback)
    {
        /// <summary>The non-loopback sockets grouped: "N × tcp6 ADDRESS STATE".</summary>
        public string Summary => NonLoopback.Count == 0 ? "none"
            : string.Join("; ", NonLoopback.GroupBy(s => s, StringComparer.Ordinal).Select(g => $"{g.Count()} × {g.Key}"));
    }

    public static Result Of(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        var inet = 0;
        var outside = new List<string>();
        foreach (var table in new[] { "tcp", "tcp6", "udp", "udp6" })
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/net/{table}").Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || !inodes.Contains(fields[9]))
                {
                    continue;
                }

                inet++;
                var remote = Address(fields[2]);
                if (!IPAddress.IsLoopback(remote) && !remote.Equals(IPAddress.Any) && !remote.Equals(IPAddress.IPv6Any))
                {
                    outside.Add($"{table} {remote} {State(table, fields[3])}");
                }
            }
        }

        return new Result(inodes.Count, inet, outside);
    }

    private static string State(string table, string hex) => table.StartsWith("udp", StringComparison.Ordinal) ? "udp" : hex switch
    {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "0A" => "LISTEN",
        _ => "state " + hex,
    };

    /// <summary>The address part of /proc/net's <c>HEX:PORT</c> (IPv4: one little-endian word; IPv6: four).</summary>
    private static IPAddress Address(string field)
    {
        var hex = field[..field.IndexOf(':', StringComparison.Ordinal)];
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            var value = uint.Parse(hex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            BitConverter.TryWriteBytes(bytes.AsSpan(word * 4, 4), value);
        }

        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
