using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace TgFleet.DevServers;

/// <summary>
/// A PostgreSQL 15 server on a free loopback port with its data in a sandbox: trust auth for the
/// superuser <c>tgfleet</c>, durability off (it is thrown away), gone when disposed.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    /// <summary>The superuser every throwaway server has.</summary>
    public const string User = "tgfleet";

    private const string OsUser = "postgres";
    private readonly string _dataDir;
    private readonly ProcessStartInfo _start;
    private readonly string _logFile;
    private readonly Sandbox _sandbox;
    private Process _process;

    private ThrowawayPostgres(Process process, ProcessStartInfo start, string dataDir, string logFile, Sandbox sandbox, int port)
    {
        _process = process;
        _start = start;
        _dataDir = dataDir;
        _logFile = logFile;
        _sandbox = sandbox;
        Port = port;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>Where PostgreSQL's binaries are looked for: <c>TGFLEET_PG_BIN</c>, else Debian's path.</summary>
    public static string BinDirectory =>
        Environment.GetEnvironmentVariable("TGFLEET_PG_BIN") is { Length: > 0 } dir ? dir : "/usr/lib/postgresql/15/bin";

    /// <summary>A connection string to <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Database = database,
        // Throwaway databases are dropped while pools may still hold connections.
        MaxPoolSize = 50,
    }.ConnectionString;

    /// <summary>Initialises a cluster in <paramref name="sandbox"/> and starts it.</summary>
    public static async Task<ThrowawayPostgres> StartAsync(Sandbox sandbox, int? port = null, CancellationToken cancellationToken = default)
    {
        var bin = BinDirectory;
        if (!File.Exists(Path.Combine(bin, "postgres")) || !File.Exists(Path.Combine(bin, "initdb")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 was not found in {bin} (set TGFLEET_PG_BIN to its bin directory). './build.sh' installs Debian's postgresql package.");
        }

        var chosenPort = port ?? FreePort.Next();
        FreePort.EnsureFree(chosenPort, "PostgreSQL");
        var dataDir = sandbox.SubDirectory("postgres");
        var logFile = Path.Combine(sandbox.Path, "postgres.log");
        if (Commands.IsRoot)
        {
            // initdb and postgres refuse to run as root: the cluster belongs to the postgres OS user.
            await Commands.RunAsync(Commands.Describe("chown", ["-R", $"{OsUser}:{OsUser}", dataDir]), TimeSpan.FromSeconds(30), cancellationToken);
            try
            {
                await Commands.RunAsync(Commands.Describe("test", ["-w", dataDir], runAs: OsUser), TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL runs as the '{OsUser}' OS user, which cannot reach {dataDir}: make its parent folders traversable (chmod o+x).", e);
            }
        }

        await Commands.RunAsync(
            Commands.Describe(Path.Combine(bin, "initdb"),
                ["-D", dataDir, "-U", User, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
                runAs: OsUser),
            TimeSpan.FromMinutes(2), cancellationToken);

        var start = Commands.Describe(Path.Combine(bin, "postgres"),
            [
                "-D", dataDir, "-p", chosenPort.ToString(CultureInfo.InvariantCulture),
                "-k", dataDir,
                "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=400", "-c", "shared_buffers=128MB",
                "-c", "log_min_messages=warning",
            ], runAs: OsUser);
        var process = Commands.StartServer(start, logFile);
        sandbox.Track(process.Id);
        var server = new ThrowawayPostgres(process, start, dataDir, logFile, sandbox, chosenPort);
        try
        {
            await server.WaitUntilReadyAsync(logFile, cancellationToken);
            if (server.ReadPostmasterPid() is { } postmaster)
            {
                sandbox.Track(postmaster);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Creates <paramref name="name"/>, optionally as a copy of <paramref name="template"/>.</summary>
    public async Task CreateDatabaseAsync(string name, string? template = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        var sql = template is null
            ? $"CREATE DATABASE {Quote(name)}"
            : $"CREATE DATABASE {Quote(name)} TEMPLATE {Quote(template)}";
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops <paramref name="name"/>, closing its connections.</summary>
    public async Task DropDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Quote(name)} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Takes the server away for <paramref name="down"/>, as a restart does: a fast shutdown (every
    /// session ends with 57P01, nothing listens on the port), then the same server again on the same
    /// data and port. Returns once it accepts connections again.
    /// </summary>
    public async Task TakeAwayAsync(TimeSpan down, CancellationToken cancellationToken = default)
    {
        if (ReadPostmasterPid() is { } postmaster)
        {
            // SIGINT: fast shutdown (sessions are terminated, then the server stops cleanly).
            Signals.Send(postmaster, Signals.Interrupt);
        }

        using (var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await _process.WaitForExitAsync(stopped.Token);
        }

        _process.Dispose();
        await Task.Delay(down, cancellationToken);
        _process = Commands.StartServer(_start, _logFile);
        _sandbox.Track(_process.Id);
        await WaitUntilReadyAsync(_logFile, cancellationToken);
        if (ReadPostmasterPid() is { } again)
        {
            _sandbox.Track(again);
        }
    }

    /// <summary>Stops the server at once (its data is thrown away).</summary>
    public async ValueTask DisposeAsync()
    {
        if (ReadPostmasterPid() is { } postmaster)
        {
            // SIGQUIT: immediate shutdown, children exit with the postmaster.
            Signals.Send(postmaster, Signals.Quit);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private int? ReadPostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(_dataDir, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task WaitUntilReadyAsync(string logFile, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL exited with {_process.ExitCode} while starting on port {Port}. Its log:{Environment.NewLine}{Commands.Tail(logFile)}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false;Timeout=2");
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException e)
            {
                last = e;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"PostgreSQL did not accept connections on port {Port} within 60 s: {last?.Message}. Its log:{Environment.NewLine}{Commands.Tail(logFile)}");
    }
}
