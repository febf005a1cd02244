using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using TgFleet.DevServers;

namespace TgFleet.FleetBench;

/// <summary>A fleet process (worker, simulator) the benchmark runs as a child, its output in a log file.</summary>
internal sealed class FleetChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private FleetChild(string name, Process process, StreamWriter log, string logFile, Uri baseUri)
    {
        Name = name;
        _process = process;
        _log = log;
        LogFile = logFile;
        BaseUri = baseUri;
    }

    /// <summary>An argument replaced by the child's own <c>http://127.0.0.1:PORT</c>.</summary>
    public const string UrlsArgument = "{urls}";

    public string Name { get; }

    public int Pid => _process.Id;

    public string LogFile { get; }

    public Uri BaseUri { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <c>dotnet <paramref name="dll"/></c> on a free loopback port with <paramref name="environment"/>
    /// (the port as the <c>Urls</c> setting and, for the simulator, which reads only its command line, as <c>--urls</c>).
    /// </summary>
    public static FleetChild Start(string name, string dll, IReadOnlyDictionary<string, string> environment, Sandbox sandbox, params string[] args)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{name}: {dll} is not built.", dll);
        }

        var port = FreePort.Next();
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            // The content root (appsettings.json) is the process's own output folder.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        psi.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg == UrlsArgument ? $"http://127.0.0.1:{port}" : arg);
        }

        psi.Environment["Urls"] = $"http://127.0.0.1:{port}";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        var logFile = Path.Combine(sandbox.Path, name + ".log");
        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = psi };
        var child = new FleetChild(name, process, log, logFile, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => child.Write(e.Data);
        process.ErrorDataReceived += (_, e) => child.Write(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        sandbox.Track(process.Id);
        return child;
    }

    /// <summary>Waits until <paramref name="path"/> answers 200.</summary>
    public async Task WaitUntilAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}. Its log:{Environment.NewLine}{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name}: {path} did not answer 200 within {timeout.TotalSeconds:0} s. Its log:{Environment.NewLine}{Tail()}");
    }

    /// <summary>A value of the Prometheus text at <c>/metrics</c> (the first sample of <paramref name="metric"/>), or null.</summary>
    /// <summary>The sum of <paramref name="metric"/> over all its label sets (0 when absent).</summary>
    public async Task<double> MetricSumAsync(string metric, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), cancellationToken);
        return text.Split('\n')
            .Where(line => line.StartsWith(metric, StringComparison.Ordinal) && line.Length > metric.Length && line[metric.Length] is ' ' or '{')
            .Sum(line => double.Parse(line[(line.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : metric.Length)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
    }

    public async Task<double?> MetricAsync(string metric, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), cancellationToken);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(metric, StringComparison.Ordinal) && line.Length > metric.Length && line[metric.Length] is ' ' or '{')
            {
                var value = line[(line.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : metric.Length)..].Trim().Split(' ')[0];
                return double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Resident set size in MB.</summary>
    public double RssMb() => Proc.RssMb(_process.Id);

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join(Environment.NewLine, reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException e)
        {
            return "(no log: " + e.Message + ")";
        }
    }

    /// <summary>SIGTERM (the host's graceful shutdown), then SIGKILL after <c>15 s</c>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signals.Send(_process.Id, Signals.Terminate);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
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

        _process.Dispose();
        await _log.DisposeAsync();
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.WriteLine(line);
        }
    }
}

/// <summary>Where the built processes are, and /proc readings.</summary>
internal static class Proc
{
    /// <summary>The build configuration of this assembly (the processes are built with it).</summary>
    public static string Configuration { get; } =
        typeof(Proc).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>The repository root (the folder holding TgFleet.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The worker's dll: src/Worker's output in this configuration unless <c>--worker-dll</c> names another build.</summary>
    public static string WorkerDll
    {
        get => field ?? Dll("src/Worker", "TgFleet.Worker");
        set;
    }

    /// <summary>The built dll of the project in <paramref name="folder"/> in this configuration.</summary>
    public static string Dll(string folder, string assembly) =>
        Path.Combine(RepositoryRoot, folder, "bin", Configuration, "net10.0", assembly + ".dll");

    public static double RssMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
            }
        }

        throw new InvalidOperationException($"No VmRSS in /proc/{pid}/status.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TgFleet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("TgFleet.sln not found above " + AppContext.BaseDirectory);
    }
}
