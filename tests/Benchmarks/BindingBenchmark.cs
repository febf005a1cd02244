using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Benchmarks;

/// <summary>
/// The binding against the floor: typed round trips/s over raw P/Invoke round trips/s in the same
/// process, and RSS per client of typed over raw clients, each in a child process of this run.
/// Clients are set up as tdjson_baseline.c does (setTdlibParameters, every database off).
/// </summary>
internal static class BindingBenchmark
{
    public const string MemoryCommand = "__binding-memory";

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(string[] args)
    {
        var clients = Option(args, "--clients", 1000);
        var requests = Option(args, "--requests", 200_000);
        var window = Option(args, "--window", clients);
        Console.WriteLine($"binding: {clients} clients, {requests} getOption round trips, {window} in flight");

        var rawMemory = Child("raw", clients);
        var typedMemory = Child("typed", clients);
        Console.WriteLine($"memory: raw {rawMemory / 1024:0.000} MB/client, typed {typedMemory / 1024:0.000} MB/client");

        LibTdJsonBackend.Create();
        using var directory = new BenchDirectory();
        var raw = RawThroughput(clients, requests, window, directory.Path);
        Console.WriteLine($"raw:   {raw:0} round trips/s");
        var typed = await TypedThroughputAsync(clients, requests, window, directory.Path);
        Console.WriteLine($"typed: {typed:0} round trips/s");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"binding throughput_ratio={typed / raw:0.00} memory_ratio={typedMemory / rawMemory:0.00} clients={clients}"));
        return 0;
    }

    /// <summary>The hidden sub-command: N clients of one kind in a fresh process; prints KB of RSS per client.</summary>
    public static async Task<int> MeasureMemoryAsync(string mode, int clients)
    {
        using var directory = new BenchDirectory();
        double perClient;
        if (mode == "raw")
        {
            LibTdJsonBackend.Create();
            var baseline = RssKb();
            RawClients.Start(clients, directory.Path);
            RawClients.Drain(Settle);
            perClient = (RssKb() - baseline) / (double)clients;
        }
        else
        {
            var manager = TdClientManager.StartLibTdJson();
            _ = Td.TdJsonReader.Parse("""{"@type":"updateOption","name":"version","value":{"@type":"optionValueString","value":"1.8.65"},"@client_id":1}"""u8);
            var baseline = RssKb();
            var typed = await TypedClients.StartAsync(manager, clients, directory.Path);
            await Task.Delay(Settle);
            perClient = (RssKb() - baseline) / (double)clients;
            GC.KeepAlive(typed);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rss_per_client_kb={perClient:0.0}"));
        Console.Out.Flush();
        directory.Dispose();
        Environment.Exit(0); // As tdjson_baseline.c does: no orderly close of 1,000 clients.
        return 0;
    }

    private static double RawThroughput(int clients, int requests, int window, string directory)
    {
        var ids = RawClients.Start(clients, Path.Combine(directory, "raw"));
        RawClients.Drain(Settle);
        RawClients.RoundTrips(ids, requests / 10, window);
        var rate = RawClients.RoundTrips(ids, requests, window);
        RawClients.Close(ids);
        return rate;
    }

    private static async Task<double> TypedThroughputAsync(int clients, int requests, int window, string directory)
    {
        await using var manager = TdClientManager.StartLibTdJson();
        var typed = await TypedClients.StartAsync(manager, clients, Path.Combine(directory, "typed"));
        await Task.Delay(Settle);
        await TypedClients.RoundTripsAsync(typed, requests / 10, window);
        return await TypedClients.RoundTripsAsync(typed, requests, window);
    }

    private static double Child(string mode, int clients)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BindingBenchmark).Assembly.Location);
        }

        start.ArgumentList.Add(MemoryCommand);
        start.ArgumentList.Add(mode);
        start.ArgumentList.Add(clients.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("rss_per_client_kb=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The {mode} memory run printed no result (exit {child.ExitCode}): {output}");
        return double.Parse(line["rss_per_client_kb=".Length..], CultureInfo.InvariantCulture);
    }

    private static long RssKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("No VmRSS in /proc/self/status.");
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Preformatted UTF-8 requests straight through the P/Invoke imports: no typed layer at all.</summary>
    private static unsafe class RawClients
    {
        public static int[] Start(int count, string directory)
        {
            var ids = new int[count];
            fixed (byte* getOption = "{\"@type\":\"getOption\",\"name\":\"version\"}\0"u8)
            {
                for (var i = 0; i < count; i++)
                {
                    ids[i] = Interop.TdJson.CreateClientId();
                    Interop.TdJson.Send(ids[i], getOption);
                }
            }

            var ready = 0;
            var clock = Stopwatch.StartNew();
            while (ready < count && clock.Elapsed < TimeSpan.FromMinutes(5))
            {
                var answer = Interop.TdJson.Receive(1.0);
                if (answer is null)
                {
                    continue;
                }

                var json = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(answer);
                if (json.IndexOf("authorizationStateWaitTdlibParameters"u8) >= 0)
                {
                    var clientId = ClientId(json);
                    var parameters = Encoding.UTF8.GetBytes(
                        $"{{\"@type\":\"setTdlibParameters\",\"database_directory\":\"{directory}/{clientId}\",\"use_message_database\":false,\"use_file_database\":false," +
                        "\"use_chat_info_database\":false,\"use_secret_chats\":false,\"api_id\":94575,\"api_hash\":\"a3406de8d171bb422bb6ddf3bbd800e2\"," +
                        "\"system_language_code\":\"en\",\"device_model\":\"baseline\",\"application_version\":\"1\"}\0");
                    fixed (byte* request = parameters)
                    {
                        Interop.TdJson.Send(clientId, request);
                    }
                }
                else if (json.IndexOf("authorizationStateWaitPhoneNumber"u8) >= 0)
                {
                    ready++;
                }
            }

            return ready == count ? ids : throw new TimeoutException($"Only {ready} of {count} raw clients reached WaitPhoneNumber.");
        }

        public static double RoundTrips(int[] ids, int requests, int window)
        {
            long sent = 0, done = 0;
            var clock = Stopwatch.StartNew();
            fixed (byte* request = "{\"@type\":\"getOption\",\"name\":\"version\",\"@extra\":1}\0"u8)
            {
                while (done < requests)
                {
                    while (sent < requests && sent - done < window)
                    {
                        Interop.TdJson.Send(ids[sent % ids.Length], request);
                        sent++;
                    }

                    var answer = Interop.TdJson.Receive(1.0);
                    if (answer is not null && MemoryMarshal.CreateReadOnlySpanFromNullTerminated(answer).IndexOf("\"@extra\""u8) >= 0)
                    {
                        done++;
                    }
                }
            }

            return requests / clock.Elapsed.TotalSeconds;
        }

        public static void Close(int[] ids)
        {
            fixed (byte* close = "{\"@type\":\"close\"}\0"u8)
            {
                foreach (var id in ids)
                {
                    Interop.TdJson.Send(id, close);
                }
            }

            var closed = 0;
            var clock = Stopwatch.StartNew();
            while (closed < ids.Length && clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                var answer = Interop.TdJson.Receive(1.0);
                if (answer is not null && MemoryMarshal.CreateReadOnlySpanFromNullTerminated(answer).IndexOf("authorizationStateClosed\""u8) >= 0)
                {
                    closed++;
                }
            }
        }

        public static void Drain(TimeSpan duration)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                Interop.TdJson.Receive(0.1);
            }
        }

        private static int ClientId(ReadOnlySpan<byte> json)
        {
            var at = json.IndexOf("\"@client_id\":"u8);
            return at >= 0 && Utf8Parser.TryParse(json[(at + "\"@client_id\":".Length)..], out int id, out _)
                ? id
                : throw new FormatException("No @client_id in " + Encoding.UTF8.GetString(json));
        }
    }

    /// <summary>The typed API as an application uses it: a client per account, updates consumed.</summary>
    private static class TypedClients
    {
        public static async Task<TdClient[]> StartAsync(TdClientManager manager, int count, string directory)
        {
            var clients = Enumerable.Range(0, count).Select(_ => manager.CreateClient()).ToArray();
            foreach (var client in clients)
            {
                _ = Task.Run(async () =>
                {
                    await foreach (var update in client.Updates.ReadAllAsync())
                    {
                        GC.KeepAlive(update);
                    }
                });
            }

            await Task.WhenAll(clients.Select(client => client.SendAsync(new Td.SetTdlibParameters
            {
                DatabaseDirectory = $"{directory}/{client.Id}",
                UseMessageDatabase = false,
                UseFileDatabase = false,
                UseChatInfoDatabase = false,
                UseSecretChats = false,
                ApiId = 94575,
                ApiHash = "a3406de8d171bb422bb6ddf3bbd800e2",
                SystemLanguageCode = "en",
                DeviceModel = "baseline",
                ApplicationVersion = "1",
            }, TimeSpan.FromMinutes(5))));
            var clock = Stopwatch.StartNew();
            while (!clients.All(c => c.AuthorizationState is Td.AuthorizationStateWaitPhoneNumber))
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new TimeoutException("Typed clients did not reach WaitPhoneNumber.");
                }

                await Task.Delay(50);
            }

            return clients;
        }

        public static async Task<double> RoundTripsAsync(TdClient[] clients, int requests, int window)
        {
            var remaining = (long)requests;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, window).Select(async worker =>
            {
                var client = clients[worker % clients.Length];
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    var answer = await client.SendAsync(new Td.GetOption { Name = "version" });
                    GC.KeepAlive(answer);
                }
            }));
            return requests / clock.Elapsed.TotalSeconds;
        }
    }

    private sealed class BenchDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tgfleet-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }
}
