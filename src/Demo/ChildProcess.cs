using System.Diagnostics;
using TgFleet.DevServers;

namespace TgFleet.Demo;

/// <summary>
/// A fleet process the demo runs. Its output goes to the demo's log file (one line each, prefixed
/// with its name), not to the screen, which shows the campaign.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DemoLog _log;

    private ChildProcess(string name, Process process, Uri baseUri, string readyPath, DemoLog log)
    {
        Name = name;
        _process = process;
        BaseUri = baseUri;
        ReadyPath = readyPath;
        _log = log;
    }

    public string Name { get; }

    public Uri BaseUri { get; }

    /// <summary>The path that answers 200 once the process can do its job.</summary>
    public string ReadyPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Killed by the demo (SIGKILL) on purpose.</summary>
    public bool Killed { get; private set; }

    public static ChildProcess Start(string name, string dll, int port, IReadOnlyDictionary<string, string> environment, Sandbox sandbox, DemoLog log,
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
        psi.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, new Uri($"http://127.0.0.1:{port}/"), readyPath, log);
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

    /// <summary>Whether it answers 200 on <see cref="ReadyPath"/> now.</summary>
    public async Task<bool> IsReadyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        if (_process.HasExited)
        {
            return false;
        }

        try
        {
            using var response = await http.GetAsync(new Uri(BaseUri, ReadyPath), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>SIGKILL: the process dies at once, writing and releasing nothing.</summary>
    public async Task KillAsync()
    {
        Killed = true;
        Signals.Send(_process.Id, Signals.KillNow);
        await _process.WaitForExitAsync(CancellationToken.None);
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
            _log.Write(Name, line);
        }
    }
}

/// <summary>
/// The demo's log file: every process's output and the demo's own steps, one line each, each with
/// the time it was written (so that where a run's time went can be read from it afterwards).
/// </summary>
internal sealed class DemoLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    public DemoLog(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _writer = new StreamWriter(path, append: false) { AutoFlush = true };
    }

    public string Path { get; }

    /// <summary>Time since the demo started (its log was opened), as the demo's own lines show it: <c>m:ss.f</c>.</summary>
    public string Elapsed => Stopwatch.GetElapsedTime(_started).ToString(@"m\:ss\.f", System.Globalization.CultureInfo.InvariantCulture);

    public void Write(string source, string line)
    {
        lock (_gate)
        {
            _writer.WriteLine($"{TimeProvider.System.GetLocalNow():HH:mm:ss.fff} {Elapsed,7} {source,-12}| {line}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }
}
