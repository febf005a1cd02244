// TgFleet's build. Public targets are what a person types (./build.sh <target>): Clean, Restore,
// Build, Test, Demo, Bench, Pack. Steps are private "__" tasks (after Polly's build).
using System.Xml.Linq;

var target = Argument("target", "Build");
var configuration = Argument("configuration", "Debug");
var filter = Argument("filter", "");
var benchmark = Argument("benchmark", "");

var solution = File("./TgFleet.sln");
var artifacts = Directory("./artifacts");
var testResults = artifacts + Directory("test-results");
var processes = new[] { "Worker", "Scheduler", "Simulator", "Cli" }; // src/<name>/TgFleet.<name>.csproj, where present

int Dotnet(string arguments, bool throwOnFailure = true)
{
    var exit = StartProcess("dotnet", new ProcessSettings { Arguments = arguments });
    if (throwOnFailure && exit != 0)
    {
        throw new CakeException(exit, $"'dotnet {arguments}' exited with {exit}.");
    }
    return exit;
}

// Whether a loopback-only network namespace can be made here (root, unshare and ip).
bool Isolatable()
{
    if (!IsRunningOnUnix() || Environment.GetEnvironmentVariable("TGFLEET_NO_NETNS") == "1")
    {
        return false;
    }

    return StartProcess("unshare", new ProcessSettings
    {
        Arguments = "--net -- sh -c \"ip link set lo up\"",
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    }) == 0;
}

Task("__Clean").Does(() =>
{
    CleanDirectory(artifacts);
    CleanDirectories("./src/**/bin");
    CleanDirectories("./src/**/obj");
    CleanDirectories("./native/**/bin");
    CleanDirectories("./native/**/obj");
    CleanDirectories("./tests/**/bin");
    CleanDirectories("./tests/**/obj");
});

Task("__Restore").Does(() => Dotnet($"restore {solution} --verbosity quiet"));

Task("__Build").Does(() => Dotnet($"build {solution} --no-restore --configuration {configuration} --verbosity quiet -nologo"));

Task("__Test").Does(() =>
{
    EnsureDirectoryExists(testResults);
    CleanDirectory(testResults);
    var filterArgument = string.IsNullOrWhiteSpace(filter) ? "" : $" --filter \"{filter}\"";
    var testArguments = $"test {solution} --no-build --configuration {configuration} --logger trx --logger \"console;verbosity=minimal\"" +
        $" --results-directory \"{MakeAbsolute(testResults)}\"{filterArgument}";
    // libtdjson opens connections to Telegram's data centres as soon as a client has its
    // parameters, even with no phone number. So the tests run in a network namespace whose only
    // interface is loopback (everything they start listens on 127.0.0.1): nothing can leave this
    // machine. It needs root (CI runs as root); without it the run says so and goes on unisolated.
    int exit;
    if (Isolatable())
    {
        Information("Tests run in a network namespace with loopback only (unshare --net).");
        exit = StartProcess("unshare", new ProcessSettings
        {
            Arguments = $"--net -- sh -c \"ip link set lo up && TGFLEET_NETWORK_ISOLATED=1 exec dotnet {testArguments.Replace("\"", "\\\"")}\"",
        });
    }
    else
    {
        Warning("Not root, or no unshare/ip: the tests run WITHOUT network isolation; libtdjson may try to reach Telegram.");
        exit = Dotnet(testArguments, throwOnFailure: false);
    }

    // The summary comes from the TRX files, the test runner's own record of what ran.
    long passed = 0, failed = 0, skipped = 0;
    var trxFiles = GetFiles($"{testResults}/**/*.trx");
    foreach (var trx in trxFiles)
    {
        var counters = XDocument.Load(trx.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
        long Count(string name) => long.TryParse((string)counters.Attribute(name), out var n) ? n : 0;
        passed += Count("passed");
        failed += Count("failed") + Count("error") + Count("timeout") + Count("aborted");
        skipped += Count("notExecuted") + Count("inconclusive");
    }
    if (exit != 0 && failed == 0)
    {
        // The runner failed without a failed test on record (a crashed test host, a build error):
        // that is a failure all the same.
        Error($"dotnet test exited with {exit} and {trxFiles.Count} result file(s) recorded no failed test; counting the run as failed.");
        failed += 1;
    }
    // build.sh prints this line last, after Cake's own task summary.
    System.IO.File.WriteAllText(MakeAbsolute(testResults.Path.CombineWithFilePath("summary.txt")).FullPath,
        $"{passed} passed, {failed} failed, {skipped} skipped\n");
    if (failed > 0 || exit != 0)
    {
        throw new CakeException(1, "Tests failed.");
    }
});

Task("__Demo").Does(() =>
{
    // The demo handles Ctrl+C itself (it stops everything it started): Cake waits for it.
    System.Console.CancelKeyPress += (_, e) => e.Cancel = true;
    var demo = $"./src/Demo/bin/{configuration}/net10.0/TgFleet.Demo.dll";
    // ./build.sh demo --workers 3 --senders 10 --recipients 2000: the demo's own options, passed on (it checks them).
    var options = string.Concat(new[] { "workers", "senders", "recipients", "campaign-seconds", "flood-wait", "duration", "data" }
        .Where(name => HasArgument(name))
        .Select(name => $" --{name} \"{Argument<string>(name)}\""));
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"\"{MakeAbsolute(File(demo))}\" --configuration {configuration}{options}",
        WorkingDirectory = MakeAbsolute(Directory(".")),
    });
    if (exit != 0 && exit != 130)
    {
        throw new CakeException(exit, $"The demo exited with {exit}.");
    }
});

// Each benchmark: the project that runs it and the arguments it takes.
var benchmarks = new Dictionary<string, (string Project, string Arguments)>
{
    ["binding"] = ("./tests/Benchmarks/TgFleet.Benchmarks.csproj", "binding"),
    ["simulator"] = ("./tests/SimulatorBench/SimulatorBench.csproj", "10000 1000 100000"),
    // tests/FleetBench: --accounts logged in on one worker (idle RSS), --senders in flight, --messages per side, --clients for memory.
    ["fleet"] = ("./tests/FleetBench/TgFleet.FleetBench.csproj", "fleet --accounts 2000 --senders 200 --messages 10000 --clients 1000"),
    // tests/FleetBench campaign: 1,000,000 recipients imported in batches of 10,000, then 100,000 deliveries with pacing lifted against direct SendMessage.
    ["campaign"] = ("./tests/FleetBench/TgFleet.FleetBench.csproj", "campaign --recipients 1000000 --deliveries 100000 --senders 10 --in-flight 50 --direct 20000"),
};

Task("__Bench").Does(() =>
{
    if (!benchmarks.TryGetValue(benchmark, out var bench))
    {
        throw new CakeException(2, $"Name a benchmark: ./build.sh bench <{string.Join("|", benchmarks.Keys)}> (got '{benchmark}').");
    }
    var project = File(bench.Project);
    // Live output, and the benchmark's last line kept for build.sh to print last (after Cake's
    // own task summary): that line is the figure the benchmark's issue asks for.
    var resultFile = MakeAbsolute(artifacts + Directory("bench")).CombineWithFilePath($"{benchmark}.result");
    EnsureDirectoryExists(resultFile.GetDirectory());
    var last = "";
    // Built first (restore may need the network), then run like the tests: in a loopback-only
    // network namespace when one can be made, since libtdjson reaches for Telegram's data centres.
    Dotnet($"build {project} --configuration Release -v q -nologo");
    var run = $"run --no-build --project {project} --configuration Release -- {bench.Arguments}";
    var isolated = Isolatable();
    if (!isolated)
    {
        Warning("Not root, or no unshare/ip: the benchmark runs WITHOUT network isolation.");
    }
    var exit = StartProcess(isolated ? "unshare" : "dotnet", new ProcessSettings
    {
        Arguments = isolated ? $"--net -- sh -c \"ip link set lo up && exec dotnet {run}\"" : run,
        RedirectStandardOutput = true,
        RedirectedStandardOutputHandler = line =>
        {
            if (line is null) return null;
            System.Console.WriteLine(line);
            if (!string.IsNullOrWhiteSpace(line)) last = line;
            return null;
        },
    });
    if (exit != 0)
    {
        throw new CakeException(exit, $"The benchmark '{benchmark}' exited with {exit}.");
    }
    System.IO.File.WriteAllText(resultFile.FullPath, last + "\n");
});

Task("__Pack").Does(() =>
{
    foreach (var name in processes)
    {
        var project = File($"./src/{name}/TgFleet.{name}.csproj");
        if (!FileExists(project))
        {
            continue;
        }
        Dotnet($"publish {project} --configuration Release --runtime linux-x64 --self-contained true" +
               $" --output \"{MakeAbsolute(artifacts + Directory("publish") + Directory(name.ToLowerInvariant()))}\" --verbosity quiet -nologo");
    }
});

Task("Clean").IsDependentOn("__Clean");
Task("Restore").IsDependentOn("__Restore");
Task("Build").IsDependentOn("__Restore").IsDependentOn("__Build");
Task("Test").IsDependentOn("Build").IsDependentOn("__Test");
Task("Demo").IsDependentOn("Build").IsDependentOn("__Demo");
Task("Bench").IsDependentOn("__Restore").IsDependentOn("__Bench");
Task("Pack").IsDependentOn("__Restore").IsDependentOn("__Pack");

RunTarget(target);
