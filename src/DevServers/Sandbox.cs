using System.Diagnostics;
using System.Globalization;

namespace TgFleet.DevServers;

/// <summary>
/// A directory that holds the data of throwaway servers, owned by this process. Every server
/// process started in it is recorded in <c>pids</c>; a watchdog (a detached shell) kills them and
/// removes the directory when this process dies, even by SIGKILL. Directories left by an owner
/// that is gone are cleaned on the next <see cref="Create"/>.
/// </summary>
public sealed class Sandbox : IDisposable
{
    private const string OwnerFile = "owner.pid";
    private const string PidsFile = "pids";
    private readonly Lock _gate = new();
    private bool _disposed;

    private Sandbox(string path) => Path = path;

    /// <summary>The sandbox directory.</summary>
    public string Path { get; }

    /// <summary>
    /// Creates a sandbox under <paramref name="root"/> named <c>{prefix}-{pid}-{random}</c> after
    /// cleaning up every sandbox there whose owner process is no longer alive.
    /// </summary>
    public static Sandbox Create(string root, string prefix)
    {
        Directory.CreateDirectory(root);
        CleanStale(root, prefix);
        var path = System.IO.Path.Combine(root, $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        // Servers may run as another OS user (postgres when we are root): let them traverse.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.WriteAllText(System.IO.Path.Combine(path, OwnerFile), Owner.Current().ToString());
        File.WriteAllText(System.IO.Path.Combine(path, PidsFile), string.Empty);
        var sandbox = new Sandbox(path);
        sandbox.StartWatchdog();
        return sandbox;
    }

    /// <summary>Records a server process so that it is killed when the owner dies.</summary>
    public void Track(int pid)
    {
        lock (_gate)
        {
            File.AppendAllText(System.IO.Path.Combine(Path, PidsFile), Owner.Of(pid) + Environment.NewLine);
        }
    }

    /// <summary>Creates a sub-directory of the sandbox.</summary>
    public string SubDirectory(string name)
    {
        var dir = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Kills whatever is still tracked and removes the directory.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        KillTracked(Path);
        TryDelete(Path);
    }

    /// <summary>Removes sandboxes under <paramref name="root"/> whose owner is gone.</summary>
    public static void CleanStale(string root, string prefix)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(root, prefix + "-*"))
        {
            var ownerFile = System.IO.Path.Combine(dir, OwnerFile);
            if (File.Exists(ownerFile) && Owner.TryParse(File.ReadAllText(ownerFile), out var owner) && owner.IsAlive())
            {
                continue;
            }

            KillTracked(dir);
            TryDelete(dir);
        }
    }

    private static void KillTracked(string dir)
    {
        var pidsFile = System.IO.Path.Combine(dir, PidsFile);
        if (!File.Exists(pidsFile))
        {
            return;
        }

        foreach (var line in File.ReadAllLines(pidsFile))
        {
            if (Owner.TryParse(line, out var process) && process.IsAlive())
            {
                try
                {
                    using var p = Process.GetProcessById(process.Pid);
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }
    }

    private static void TryDelete(string dir)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }

                return;
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }

    private void StartWatchdog()
    {
        // A detached shell outlives a SIGKILL of this process; it polls the owner once a second
        // and, when the owner is gone, kills every tracked pid whose start time still matches
        // (so a recycled pid is never hit) and removes the sandbox.
        var script = System.IO.Path.Combine(Path, "watchdog.sh");
        File.WriteAllText(script, """
            #!/bin/sh
            dir="$1"; owner="$2"; started="$3"
            alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f22 "/proc/$1/stat" 2>/dev/null)" = "$2" ]; }
            # The given pids and all their descendants, from one read of the process table.
            tree() {
              cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$*" '
                { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " "); parent[pid] = f[2] }
                END {
                  n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1
                  do { changed = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } } while (changed)
                  for (p in keep) print p
                }'
            }
            while alive "$owner" "$started"; do sleep 1; done
            [ -d "$dir" ] || exit 0
            # Read the list once: removing the sandbox below also removes nested sandboxes' lists.
            roots=""
            while read -r pid start; do
              [ -n "$pid" ] && alive "$pid" "$start" && roots="$roots $pid"
            done < "$dir/pids"
            # A tracked process dies with its whole tree (e.g. a demo with its servers).
            [ -n "$roots" ] && kill -9 $(tree $roots) 2>/dev/null
            sleep 1
            rm -rf "$dir"
            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        var owner = Owner.Current();
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "sh", script, Path, owner.Pid.ToString(CultureInfo.InvariantCulture), owner.StartTicks })
        {
            psi.ArgumentList.Add(arg);
        }

        using var watchdog = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the sandbox watchdog (setsid sh).");
        watchdog.StandardInput.Close();
    }

    /// <summary>A process identity that survives pid reuse: pid plus start time from /proc.</summary>
    private readonly record struct Owner(int Pid, string StartTicks)
    {
        public static Owner Current() => Of(Environment.ProcessId);

        public static Owner Of(int pid) => new(pid, ReadStartTicks(pid) ?? "0");

        public bool IsAlive() => ReadStartTicks(Pid) == StartTicks;

        public static bool TryParse(string text, out Owner owner)
        {
            var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid))
            {
                owner = new Owner(pid, parts[1]);
                return true;
            }

            owner = default;
            return false;
        }

        public override string ToString() => $"{Pid} {StartTicks}";

        private static string? ReadStartTicks(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // Field 22 (starttime); the command name (field 2) may hold spaces, so count after ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return fields[19];
            }
            catch (IOException)
            {
                return null;
            }
        }
    }
}
