using System.Globalization;

namespace TgFleet.FleetBench;

/// <summary>
/// Where the CPU went during a measured stretch: user+system time of every process on the machine
/// (of this benchmark's process tree; the rest of the machine is "other"), grouped as worker, simulator, responder,
/// bench (this process), postgres, rabbitmq (the Erlang VM and its helpers) and other.
/// </summary>
internal sealed class CpuMeter
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux x86-64
    private readonly Dictionary<int, string> _roles;
    private readonly Dictionary<string, double> _start;

    private CpuMeter(Dictionary<int, string> roles)
    {
        _roles = roles;
        _start = Sample();
    }

    /// <summary>Starts measuring; <paramref name="roles"/> names our own children by pid.</summary>
    public static CpuMeter Start(Dictionary<int, string> roles)
    {
        roles[Environment.ProcessId] = "bench";
        return new CpuMeter(roles);
    }

    /// <summary>CPU seconds per group since <see cref="Start"/>, largest first, as "group 1.23 s".</summary>
    public string Stop(long messages)
    {
        var end = Sample();
        var used = end.Select(e => (Group: e.Key, Seconds: e.Value - _start.GetValueOrDefault(e.Key)))
            .Where(e => e.Seconds >= 0.05).OrderByDescending(e => e.Seconds).ToList();
        var total = used.Sum(e => e.Seconds);
        return string.Join(", ", used.Select(e => string.Create(CultureInfo.InvariantCulture,
            $"{e.Group} {e.Seconds:0.0} s ({e.Seconds * 1e6 / messages:0} µs/msg)")))
            + string.Create(CultureInfo.InvariantCulture, $"; total {total:0.0} CPU-s ({total * 1e6 / messages:0} µs/msg)");
    }

    private Dictionary<string, double> Sample()
    {
        var processes = new Dictionary<int, (int Parent, string Comm, double Seconds)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            // fields[0] = state, [1] = ppid, [11] = utime, [12] = stime (stat fields 3, 14 and 15).
            processes[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture), stat[(open + 1)..close],
                (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond);
        }

        var groups = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (pid, process) in processes)
        {
            var group = GroupOf(pid, process.Comm, processes);
            groups[group] = groups.GetValueOrDefault(group) + process.Seconds;
        }

        return groups;
    }

    // A named child and its descendants are that role; the benchmark's other descendants (the
    // throwaway PostgreSQL and RabbitMQ) go by name; the rest of the machine is "other".
    private string GroupOf(int pid, string comm, Dictionary<int, (int Parent, string Comm, double Seconds)> processes)
    {
        for (var (at, depth) = (pid, 0); depth < 16 && at > 1; depth++)
        {
            if (_roles.TryGetValue(at, out var role) && (at != Environment.ProcessId || at == pid))
            {
                return role;
            }

            if (at == Environment.ProcessId)
            {
                return comm.StartsWith("postgres", StringComparison.Ordinal) ? "postgres"
                    : comm is "beam.smp" or "erl_child_setup" or "epmd" or "inet_gethost" ? "rabbitmq"
                    : "bench children";
            }

            at = processes.TryGetValue(at, out var p) ? p.Parent : 0;
        }

        return "other (not the benchmark)";
    }
}
