using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Addressing;
using TgFleet.Worker.Sessions;

namespace TgFleet.FleetBench;

/// <summary>
/// R2: RSS per client of the real worker process hosting N real libtdjson clients ÷ RSS per client
/// of N bare libtdjson clients (the binding benchmark's raw child, run as is).
///
/// The worker starts a client per stored session of the shards it owns, so N accounts get an
/// EMPTY stored session (an archive of an empty directory, encrypted as the worker does): on
/// restore the worker gives TDLib its parameters, TDLib finds no auth key and waits for a phone
/// number, which it never gets. libtdjson still tries to reach Telegram's data centres at that
/// point, so the whole run is in a loopback-only network namespace (<see cref="Isolation"/>); the
/// worker's sockets are listed and printed.
/// The per-client figure is marginal, like the raw child's: (RSS with N restored clients − RSS of
/// the same worker with none) ÷ N, each a fresh worker process on its own database.
/// </summary>
internal static class MemoryPhase
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public sealed record Result(double WorkerKbPerClient, double BareKbPerClient, double WorkerEmptyMb, double WorkerFullMb);

    public static async Task<Result> RunAsync(FleetServers servers, int clients, CancellationToken cancellationToken)
    {
        var bare = BareKbPerClient(clients);
        Console.WriteLine($"memory: bare libtdjson (tests/Benchmarks raw child) {bare / 1024:0.000} MB/client over {clients} clients");

        var empty = await WorkerRssAsync(servers, "r2empty", 0, cancellationToken);
        var full = await WorkerRssAsync(servers, "r2full", clients, cancellationToken);
        var perClient = (full - empty) * 1024 / clients;
        Console.WriteLine($"memory: worker (Telegram:Backend=LibTdJson) RSS {FleetServers.Mb(empty)} MB with 0 clients, {FleetServers.Mb(full)} MB with {clients} restored clients: {perClient / 1024:0.000} MB/client marginal ({full / clients:0.000} MB/client counting the whole process)");
        return new Result(perClient, bare, empty, full);
    }

    /// <summary>The binding benchmark's own bare child: <c>TgFleet.Benchmarks __binding-memory raw N</c>.</summary>
    private static double BareKbPerClient(int clients)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Proc.Dll("tests/Benchmarks", "TgFleet.Benchmarks"));
        start.ArgumentList.Add("__binding-memory");
        start.ArgumentList.Add("raw");
        start.ArgumentList.Add(clients.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("rss_per_client_kb=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The bare libtdjson child printed no result (exit {child.ExitCode}): {output}");
        return double.Parse(line["rss_per_client_kb=".Length..], CultureInfo.InvariantCulture);
    }

    private static async Task<double> WorkerRssAsync(FleetServers servers, string fleet, int clients, CancellationToken cancellationToken)
    {
        await servers.CreateFleetAsync(fleet, cancellationToken);
        await SeedEmptySessionsAsync(servers.Postgres.ConnectionString(fleet), fleet, clients, cancellationToken);
        var clock = Stopwatch.StartNew();
        await using var worker = await servers.StartWorkerAsync(fleet, servers.WorkerEnvironment(fleet, "LibTdJson"), cancellationToken);
        // Ready = the first lease round is done: every shard started, its sessions restored.
        var alive = await worker.MetricAsync("tgfleet_clients_alive", cancellationToken) ?? 0;
        if (alive != clients)
        {
            throw new InvalidOperationException($"The worker runs {alive} clients, not {clients}. Its log:{Environment.NewLine}{worker.Tail()}");
        }

        await Task.Delay(Settle, cancellationToken);
        var rss = worker.RssMb();
        var network = NetworkCheck.Of(worker.Pid);
        Console.WriteLine($"memory: worker with {clients} libtdjson clients ready in {clock.Elapsed.TotalSeconds:0.0} s; its sockets: {network.Sockets}, {network.Inet} of them TCP/UDP; aimed off this machine: {network.Summary} (libtdjson's own connection attempts; this namespace has only {string.Join(", ", Isolation.Interfaces())}, so none leaves the machine)");
        if (!Isolation.LoopbackOnly)
        {
            throw new InvalidOperationException("Not in a loopback-only network namespace: libtdjson would reach Telegram.");
        }

        return rss;
    }

    /// <summary>
    /// N accounts with an empty session each, in one statement per table. The sessions table's
    /// fence trigger (a write needs the shard's live lease) is skipped for this seeding connection
    /// only (session_replication_role = replica; the server's superuser): no worker holds a lease yet.
    /// </summary>
    private static async Task SeedEmptySessionsAsync(string connectionString, string fleet, int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }

        var cipher = new SessionCipher(Options.Create(new SessionOptions
        {
            ActiveKeyId = FleetServers.KeyId,
            Keys = new Dictionary<string, string> { [FleetServers.KeyId] = FleetServers.Key },
        }));
        var emptyDirectory = Directory.CreateTempSubdirectory("fleetbench-empty-session-");
        byte[] archive;
        try
        {
            archive = await SessionArchive.PackAsync(emptyDirectory.FullName, cancellationToken);
        }
        finally
        {
            emptyDirectory.Delete(recursive: true);
        }

        var ids = Enumerable.Range(0, count).Select(i => $"{fleet}-{i:00000}").ToArray();
        var shards = ids.Select(id => ShardAddressing.ShardOf(id)).ToArray();
        var blobs = ids.Select(id => cipher.Encrypt(id, archive).Blob).ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var accounts = new NpgsqlCommand(
            "INSERT INTO accounts (account_id, shard, status) SELECT id, shard, 'new' FROM unnest(@ids::text[], @shards::int[]) AS a(id, shard)", connection))
        {
            accounts.Parameters.AddWithValue("ids", ids);
            accounts.Parameters.AddWithValue("shards", shards);
            await accounts.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var replica = new NpgsqlCommand("SET session_replication_role = replica", connection))
        {
            await replica.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var sessions = new NpgsqlCommand(
            "INSERT INTO sessions (account_id, shard, epoch, key_id, blob) SELECT id, shard, 0, @key, blob FROM unnest(@ids::text[], @shards::int[], @blobs::bytea[]) AS s(id, shard, blob)",
            connection);
        sessions.Parameters.AddWithValue("key", FleetServers.KeyId);
        sessions.Parameters.AddWithValue("ids", ids);
        sessions.Parameters.AddWithValue("shards", shards);
        sessions.Parameters.AddWithValue("blobs", blobs);
        await sessions.ExecuteNonQueryAsync(cancellationToken);
    }
}
