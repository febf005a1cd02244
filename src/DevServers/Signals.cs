using System.Runtime.InteropServices;

namespace TgFleet.DevServers;

/// <summary>POSIX signals, for stopping servers and fleet processes the way they expect.</summary>
public static partial class Signals
{
    /// <summary>SIGINT.</summary>
    public const int Interrupt = 2;

    /// <summary>SIGQUIT.</summary>
    public const int Quit = 3;

    /// <summary>SIGKILL.</summary>
    public const int KillNow = 9;

    /// <summary>SIGTERM.</summary>
    public const int Terminate = 15;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
