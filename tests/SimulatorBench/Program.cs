using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using TgFleet.Simulator;
using TgFleet.Simulator.Backend;

// The simulator's figures: N accounts logged in and idle in ONE backend (this process) against
// ONE simulator process (a child), the RSS of both, and the sends/s the simulator sustains.
if (args.Length > 0 && args[0] == "server")
{
    await using var server = SimulatorServer.Create(["--urls", "http://" + args[1]], quiet: true);
    await server.RunAsync(CancellationToken.None);
    return 0;
}

var accounts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var senders = Math.Min(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000, accounts);
var messages = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100_000;

var port = FreePort();
using var child = Process.Start(new ProcessStartInfo("dotnet", [typeof(Bench).Assembly.Location, "server", "127.0.0.1:" + port]) { UseShellExecute = false })!;
try
{
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
    await WaitForHealthAsync(http);
    var clock = Stopwatch.StartNew();
    var seeded = (await (await http.PostAsJsonAsync("control/bulk", new BulkSeed(accounts, "+4470", null))).Content.ReadFromJsonAsync<Created[]>())!;
    var users = (await (await http.PostAsJsonAsync("control/bulk", new BulkSeed(1_000, "+4471", "bench_user_", Accounts: false))).Content.ReadFromJsonAsync<Created[]>())!;
    Console.WriteLine($"seeded {accounts} accounts + {users.Length} users in {clock.Elapsed.TotalSeconds:0.00} s");

    var root = Path.Combine(Path.GetTempPath(), "tgfleet-simbench-" + Environment.ProcessId);
    await using var backend = new SimulatorTdJsonBackend(new Uri($"ws://127.0.0.1:{port}/backend"));
    using var bench = new Bench(backend);
    clock.Restart();
    var clients = new int[accounts];
    var loggedIn = 0;
    using var progress = new Timer(_ => Console.WriteLine($"  … {Volatile.Read(ref loggedIn)} logged in"), null, 5000, 5000);
    await Parallel.ForEachAsync(Enumerable.Range(0, accounts), new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (i, ct) =>
    {
        var client = backend.CreateClientId();
        clients[i] = client;
        var phone = "+" + seeded[i].Phone;
        await bench.AskAsync(client, Parameters(Path.Combine(root, i.ToString(CultureInfo.InvariantCulture))));
        await bench.AskAsync(client, $$"""{"@type":"setAuthenticationPhoneNumber","phone_number":"{{phone}}"}""");
        var code = (await http.GetFromJsonAsync<CodeView>("control/codes/" + Uri.EscapeDataString(phone), ct))!.Code;
        var answer = await bench.AskAsync(client, $$"""{"@type":"checkAuthenticationCode","code":"{{code}}"}""");
        if (!answer.Contains("\"ok\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("login failed: " + answer);
        }

        Interlocked.Increment(ref loggedIn);
    });
    await progress.DisposeAsync();
    var loginSeconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"logged in {accounts} accounts in {loginSeconds:0.00} s ({accounts / loginSeconds:0} logins/s)");

    // Resolve one recipient per sender (it becomes a known chat), then settle.
    await Parallel.ForEachAsync(Enumerable.Range(0, senders), new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (i, _) =>
        await bench.AskAsync(clients[i], $$"""{"@type":"searchPublicChat","username":"bench_user_{{i % users.Length}}"}"""));
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    await Task.Delay(2000);
    var idleBackendKb = Rss(Environment.ProcessId) * 1024;
    var idleSimulatorMb = Rss(child.Id);
    Console.WriteLine($"idle: backend RSS {idleBackendKb / 1024:0.0} MB ({idleBackendKb / accounts:0.0} KB/account), simulator RSS {idleSimulatorMb:0.0} MB");

    clock.Restart();
    var perSender = messages / senders;
    await Parallel.ForEachAsync(Enumerable.Range(0, senders), new ParallelOptions { MaxDegreeOfParallelism = senders }, async (i, _) =>
    {
        var chat = users[i % users.Length].UserId;
        for (var m = 0; m < perSender; m++)
        {
            bench.SendWithoutWaiting(clients[i], $$$$"""{"@type":"sendMessage","chat_id":{{{{chat}}}},"input_message_content":{"@type":"inputMessageText","text":{"@type":"formattedText","text":"bench {{{{i}}}}/{{{{m}}}}","entities":[]}}}""");
            if (m % 50 == 49)
            {
                await Task.Yield();
            }
        }
    });
    var total = perSender * senders;
    while (bench.Succeeded + bench.Failed < total && clock.Elapsed < TimeSpan.FromMinutes(5))
    {
        await Task.Delay(20);
    }

    var seconds = clock.Elapsed.TotalSeconds;
    var health = (await http.GetFromJsonAsync<Stats>("health"))!;
    Console.WriteLine($"sent {bench.Succeeded} ok / {bench.Failed} failed of {total} from {senders} accounts in {seconds:0.00} s: {bench.Succeeded / seconds:0} sends/s end to end (simulator delivered {health.Delivered})");
    Console.WriteLine($"after sends: backend RSS {Rss(Environment.ProcessId):0.0} MB, simulator RSS {Rss(child.Id):0.0} MB");
    Directory.Delete(root, recursive: true);
    // The one parseable line ./build.sh bench simulator ends with.
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"simulator accounts={accounts} logins_per_s={accounts / loginSeconds:0} sends_per_s={bench.Succeeded / seconds:0} failed={bench.Failed} backend_kb_per_account={idleBackendKb / accounts:0.0} simulator_rss_mb={idleSimulatorMb:0.0}"));
}
finally
{
    child.Kill();
    await child.WaitForExitAsync();
}

return 0;

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitForHealthAsync(HttpClient http)
{
    for (var i = 0; i < 200; i++)
    {
        try
        {
            (await http.GetAsync("health")).EnsureSuccessStatusCode();
            return;
        }
        catch (HttpRequestException)
        {
            await Task.Delay(100);
        }
    }

    throw new TimeoutException("The simulator did not start.");
}

static double Rss(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
    }

    return 0;
}

static string Parameters(string directory) => JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["@type"] = "setTdlibParameters",
    ["database_directory"] = directory,
    ["use_message_database"] = false,
    ["api_id"] = 94575,
    ["api_hash"] = "a3406de8d171bb422bb6ddf3bbd800e2",
    ["system_language_code"] = "en",
    ["device_model"] = "bench",
    ["application_version"] = "1.0",
});

/// <summary>One receive thread; answers matched by @extra; send outcomes counted.</summary>
internal sealed class Bench : IDisposable
{
    private readonly SimulatorTdJsonBackend _backend;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<string>> _pending = new();
    private readonly Thread _pump;
    private volatile bool _stop;
    private long _nextExtra;
    private long _succeeded;
    private long _failed;

    public Bench(SimulatorTdJsonBackend backend)
    {
        _backend = backend;
        _pump = new Thread(Pump) { IsBackground = true };
        _pump.Start();
    }

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public long Failed => Interlocked.Read(ref _failed);

    public Task<string> AskAsync(int client, string json)
    {
        var extra = Interlocked.Increment(ref _nextExtra);
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[extra] = answer;
        _backend.Send(client, Encoding.UTF8.GetBytes(json.Insert(1, $"\"@extra\":{extra},") + "\0"));
        return answer.Task;
    }

    public void SendWithoutWaiting(int client, string json) => _backend.Send(client, Encoding.UTF8.GetBytes(json + "\0"));

    private void Pump()
    {
        while (!_stop)
        {
            var bytes = _backend.Receive(TimeSpan.FromMilliseconds(100));
            if (bytes.IsEmpty)
            {
                continue;
            }

            var reader = new Utf8JsonReader(bytes);
            reader.Read();
            reader.Read();
            reader.Read();
            if (reader.ValueTextEquals("updateMessageSendSucceeded"u8))
            {
                Interlocked.Increment(ref _succeeded);
                continue;
            }

            if (reader.ValueTextEquals("updateMessageSendFailed"u8))
            {
                Interlocked.Increment(ref _failed);
                continue;
            }

            var at = bytes.IndexOf("\"@extra\":"u8);
            if (at >= 0)
            {
                var rest = bytes[(at + 9)..];
                var end = rest.IndexOfAny((byte)',', (byte)'}');
                var extra = long.Parse(Encoding.ASCII.GetString(rest[..end]), CultureInfo.InvariantCulture);
                if (_pending.TryRemove(extra, out var answer))
                {
                    answer.TrySetResult(Encoding.UTF8.GetString(bytes));
                }
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _pump.Join();
    }
}
