using System.Runtime.InteropServices;

namespace TgFleet.DevServers;

/// <summary>POSIX signals, for stopping servers the way they expect.</summary>
internal static partial class Signals
{
    public const int Quit = 3;
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
