using System.Diagnostics;

namespace TgFleet.FleetBench;

/// <summary>
/// The whole benchmark runs in a network namespace of its own whose only interface is loopback:
/// libtdjson opens connections to Telegram's data centres as soon as it has its parameters, even
/// with no phone number (seen on the worker's sockets in a first run), so "offline" is made true
/// by the kernel rather than assumed. Everything the benchmark starts (PostgreSQL, RabbitMQ, the
/// simulator, the workers, the bare libtdjson child) talks over loopback only.
/// </summary>
internal static class Isolation
{
    public const string InsideFlag = "--in-namespace";

    /// <summary>The network interfaces of this process's namespace (from /proc/self/net/dev).</summary>
    public static IReadOnlyList<string> Interfaces() =>
        [.. File.ReadLines("/proc/self/net/dev").Skip(2).Select(line => line.Split(':')[0].Trim())];

    public static bool LoopbackOnly => Interfaces() is ["lo"];

    /// <summary>Runs this benchmark again as <c>unshare --net</c> (loopback brought up) and returns its exit code.</summary>
    public static async Task<int> RunInNamespaceAsync(string[] args, string benchmark = "fleet")
    {
        var psi = new ProcessStartInfo("unshare") { UseShellExecute = false };
        foreach (var arg in (string[])["--net", "--", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh", "dotnet", typeof(Isolation).Assembly.Location, benchmark, InsideFlag])
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var child = Process.Start(psi) ?? throw new InvalidOperationException("unshare could not be started.");
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            Console.Error.WriteLine($"fleet: the benchmark in its own network namespace exited with {child.ExitCode} (it needs root, or unshare and ip on the PATH; it never runs with a route off this machine).");
        }

        return child.ExitCode;
    }
}
