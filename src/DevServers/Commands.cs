using System.Diagnostics;
using System.Text;

namespace TgFleet.DevServers;

/// <summary>Runs the server tools (initdb, rabbitmqctl, …) as child processes.</summary>
internal static class Commands
{
    /// <summary>True when this process runs as root (uid 0).</summary>
    public static bool IsRoot { get; } = ReadUid() == 0;

    /// <summary>
    /// Builds a start description. When <paramref name="runAs"/> is set and we are root, the
    /// command runs as that OS user through runuser (PostgreSQL refuses to run as root).
    /// </summary>
    public static ProcessStartInfo Describe(string file, IEnumerable<string> args, string? runAs = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ProcessStartInfo psi;
        if (runAs is not null && IsRoot)
        {
            psi = new ProcessStartInfo("runuser");
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(runAs);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(file);
        }
        else
        {
            psi = new ProcessStartInfo(file);
        }

        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.UseShellExecute = false;
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                psi.Environment[key] = value;
            }
        }

        return psi;
    }

    /// <summary>Runs a command to completion; throws with its output when it fails or times out.</summary>
    public static async Task<string> RunAsync(ProcessStartInfo psi, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = new Process { StartInfo = psi };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {Render(psi)}.");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Render(psi)} did not finish within {timeout.TotalSeconds:0} s. Output:{Environment.NewLine}{Text(output)}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Render(psi)} exited with {process.ExitCode}. Output:{Environment.NewLine}{Text(output)}");
        }

        return Text(output);
    }

    /// <summary>Starts a long-running server whose output goes to <paramref name="logFile"/>.</summary>
    /// <remarks>
    /// The server gets a session of its own (setsid, which execs in place: the pid is the
    /// server's), so a Ctrl+C in the terminal reaches only its owner, which stops the fleet's
    /// processes before their database and broker.
    /// </remarks>
    public static Process StartServer(ProcessStartInfo psi, string logFile)
    {
        ArgumentNullException.ThrowIfNull(psi);
        var own = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = psi.RedirectStandardInput,
            RedirectStandardOutput = psi.RedirectStandardOutput,
            RedirectStandardError = psi.RedirectStandardError,
            WorkingDirectory = psi.WorkingDirectory,
        };
        own.ArgumentList.Add(psi.FileName);
        foreach (var arg in psi.ArgumentList)
        {
            own.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in psi.Environment)
        {
            own.Environment[name] = value;
        }

        psi = own;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Exited += (_, _) =>
        {
            lock (log)
            {
                log.Dispose();
            }
        };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {Render(psi)}.");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static string Render(ProcessStartInfo psi) => $"'{psi.FileName} {string.Join(' ', psi.ArgumentList)}'";

    /// <summary>The last lines of a log file, for error messages.</summary>
    public static string Tail(string file, int lines = 30)
    {
        try
        {
            var all = File.ReadAllLines(file);
            return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The server exited while its last lines were in flight.
            }
        }
    }

    private static int ReadUid()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
