using System.Diagnostics;
using TgFleet.DevServers;

namespace TgFleet.Demo;

/// <summary>A fleet process the demo runs, its output shown live with a coloured prefix.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private static readonly ConsoleColor[] Colors = [ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Magenta, ConsoleColor.Yellow, ConsoleColor.Blue];
    private static readonly Lock ConsoleGate = new();
    private static int _next;
    private readonly Process _process;
    private readonly ConsoleColor _color;

    private ChildProcess(string name, Process process, Uri baseUri, string readyPath)
    {
        Name = name;
        _process = process;
        BaseUri = baseUri;
        ReadyPath = readyPath;
        _color = Colors[Interlocked.Increment(ref _next) % Colors.Length];
    }

    public string Name { get; }

    public Uri BaseUri { get; }

    /// <summary>The path that answers 200 once the process can do its job.</summary>
    public string ReadyPath { get; }

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string name, string dll, int port, IReadOnlyDictionary<string, string> environment, Sandbox sandbox,
        IReadOnlyList<string>? args = null, string readyPath = "health/ready")
    {
        // setsid: a session of its own, so Ctrl+C reaches only the demo, which then stops each
        // child once with SIGTERM (a second signal would cut its graceful shutdown short).
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            // The content root (appsettings.json) is the process's own output folder.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(dll);
        foreach (var arg in args ?? [])
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment["Urls"] = $"http://127.0.0.1:{port}";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Development";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, new Uri($"http://127.0.0.1:{port}/"), readyPath);
        process.OutputDataReceived += (_, e) => child.Show(e.Data);
        process.ErrorDataReceived += (_, e) => child.Show(e.Data);
        process.Exited += (_, _) => child.Show($"(exited with {process.ExitCode})");
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        sandbox.Track(process.Id);
        return child;
    }

    public static void Say(string source, string text, ConsoleColor color = ConsoleColor.White)
    {
        lock (ConsoleGate)
        {
            Console.ForegroundColor = color;
            Console.Write($"{source,-12}| ");
            Console.ResetColor();
            Console.WriteLine(text);
        }
    }

    /// <summary>
    /// SIGTERM: the host's graceful shutdown (a worker drains, checkpoints and releases its shards);
    /// killed when it takes longer than <paramref name="grace"/>. Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.Terminate);
            using var cts = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(15));
        _process.Dispose();
    }

    private void Show(string? line)
    {
        if (line is not null)
        {
            Say(Name, line, _color);
        }
    }
}
