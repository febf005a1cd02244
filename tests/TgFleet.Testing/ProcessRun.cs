using System.Diagnostics;
using System.Text;

namespace TgFleet.Testing;

/// <summary>A child process whose output a test reads and waits on.</summary>
public sealed class ProcessRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProcessRun(Process process) => _process = process;

    /// <summary>The child's pid.</summary>
    public int Pid => _process.Id;

    /// <summary>Everything it wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code (after it exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>.</summary>
    public static ProcessRun Start(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = psi };
        var run = new ProcessRun(process);
        process.OutputDataReceived += (_, e) => run.Append(e.Data);
        process.ErrorDataReceived += (_, e) => run.Append(e.Data);
        process.Start();
        TestInfrastructure.TrackChildProcess(process.Id);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Waits for it to exit; throws with its output when it takes longer than <paramref name="deadline"/>.</summary>
    public async Task<int> ExitAsync(TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The process did not exit within {deadline.TotalSeconds:0} s. Output:{Environment.NewLine}{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Waits until its output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan deadline)
    {
        await Wait.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal) || _process.HasExited, deadline, () => Output);
        if (!Output.Contains(text, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The process exited with {_process.ExitCode} before writing '{text}'. Output:{Environment.NewLine}{Output}");
        }
    }

    /// <summary>Kills it (and its tree) if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
