using System.Diagnostics;
using System.Text;
using System.Text.Json;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli;

/// <summary>What one tgfleet run ended with: its exit code and its stdout and stderr apart.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>The non-empty lines of stderr.</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>stdout parsed as JSON.</summary>
    public JsonElement Json => JsonSerializer.Deserialize<JsonElement>(Stdout, JsonOptions);

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>The built <c>tgfleet</c> run as a child process with its stdin a pipe (so: no terminal).</summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process) => _process = process;

    /// <summary>The built tgfleet.dll.</summary>
    public static string Dll => Path.Combine(Repository.Root, "src", "Cli", "bin", Repository.Configuration, "net10.0", "tgfleet.dll");

    /// <summary>What it wrote to stdout so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public static CliProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        // The fleet's variables of the test host must not leak into a run that tests their absence.
        psi.Environment.Remove("RabbitMq__Uri");
        psi.Environment.Remove("Database__ConnectionString");
        psi.Environment.Remove("Shards__Count");
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[key] = value;
        }

        var process = new Process { StartInfo = psi };
        var run = new CliProcess(process);
        process.OutputDataReceived += (_, e) => Append(run._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(run._stderr, e.Data);
        process.Start();
        TestInfrastructure.TrackChildProcess(process.Id);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Runs tgfleet to its end with <paramref name="args"/>.</summary>
    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var run = Start(args, environment);
        run._process.StandardInput.Close();
        return await run.ExitAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Writes a line to its stdin.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for it to exit.</summary>
    public async Task<CliResult> ExitAsync(TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"tgfleet did not exit within {deadline.TotalSeconds:0} s.\n{Result()}");
        }

        return Result();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private CliResult Result()
    {
        lock (_stdout)
        {
            lock (_stderr)
            {
                return new CliResult(_process.HasExited ? _process.ExitCode : -1, _stdout.ToString(), _stderr.ToString());
            }
        }
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is not null)
        {
            lock (buffer)
            {
                buffer.AppendLine(line);
            }
        }
    }
}
