using System.Diagnostics;
using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli;

/// <summary>
/// The demo as a person sees it: in a real terminal (tmux), short (two workers, three senders,
/// 60 recipients), one live screen while the campaign runs and a worker is killed, the summary,
/// then the fleet kept running until Ctrl+C, which stops everything. Runs beside the demo without a
/// terminal (each is mostly waiting on processes of its own).
/// </summary>
[TestFixture, Category("Cli"), Parallelizable(ParallelScope.Self)]
public sealed class When_the_demo_runs_at_a_terminal
{
    // For each screen awaited: the demo's start alone (its own RabbitMQ's boot, four .NET processes)
    // took 2 min 20 s of 4 min with the shared machine's load at 50-140.
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(6);
    private string _root = null!;
    private string _running = string.Empty;
    private string _ended = string.Empty;
    private string _history = string.Empty;
    private string _stopped = string.Empty;
    private string _log = string.Empty;
    private IReadOnlyList<string> _left = [];

    [OneTimeSetUp]
    public async Task RunAsync()
    {
        _root = TestInfrastructure.CreateTempDirectory("demo");
        var terminal = await Terminal.StartAsync(["dotnet", Demo.Dll, "--workers", "2", "--senders", "3", "--recipients", "60", "--campaign-seconds", "6",
            "--flood-wait", "3", "--data", _root], workingDirectory: Repository.Root);
        try
        {
            _running = await terminal.WaitForAsync("killed (-9)", Deadline);
            _ended = await terminal.WaitForAsync("Ctrl+C stops everything", Deadline);
            _history = await terminal.HistoryAsync();
            await terminal.PressAsync("C-c");
            _stopped = await terminal.WaitForAsync("EXIT=", TimeSpan.FromSeconds(60));
            _log = await File.ReadAllTextAsync(Demo.LogOf(_history));
        }
        finally
        {
            await terminal.DisposeAsync();
        }

        // The tmux server (its command line names the folder too) takes a moment to exit.
        var clock = Stopwatch.StartNew();
        while ((_left = ProcessTable.CommandLinesContaining(_root)).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }
    }

    [OneTimeTearDown]
    public void Clean()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_root + "-logs", recursive: true);
    }

    [Test]
    public void One_live_screen_shows_progress_failures_senders_and_the_fleet()
    {
        Assert.That(_running, Does.Contain("tgfleet campaign").And.Contain("demo campaign").And.Contain("running").And.Contain(" / 60 (")
            .And.Contain("msg/s").And.Contain("skipped (opted out)"), _running);
        Assert.That(_running, Does.Contain("failures and skips by reason").And.Contain("USER_PRIVACY_RESTRICTED")
            .And.Contain("senders by state").And.Contain("demo-sender-02"), _running);
        Assert.That(_running, Does.Match(@"worker-1 +│ killed \(-9\) +│ +\d+ │ +\d+ │").And.Match(@"worker-2 +│ up +│ +\d+ │ +\d+ │"), _running);
        Assert.That(_history.Split('\n').Count(l => l.Contains("╭─tgfleet campaign", StringComparison.Ordinal)), Is.EqualTo(1), "one screen, redrawn in place:\n" + _history);
        Assert.That(_history + _log, Does.Contain("+4477*****001").And.Not.Contain("+447700900001"), "phones are shown and logged masked only");
    }

    [Test]
    public void The_killed_workers_shards_and_senders_move_and_the_campaign_completes()
    {
        Assert.That(_ended, Does.Contain("worker-1 killed with SIGKILL at").And.Contain("completed").And.Contain("60 / 60 (100%)"), _ended);
        Assert.That(_ended, Does.Match(@"worker-1 +│ killed \(-9\) +│ +0 │ +0 │").And.Match(@"worker-2 +│ up +│ +64 │ +3 │"), _ended);
    }

    [Test]
    public void It_shows_the_summary_checked_against_the_witness_and_every_metrics_endpoint()
    {
        Assert.That(_ended, Does.Contain("summary: the campaign against the simulator's witness").And.Contain("the summary matches the witness")
            .And.Not.Contain("MISMATCH").And.Match(@"FLOOD_WAIT / PEER_FLOOD answers +│ - +│ [1-9]\d* / [1-9]\d* +│ ok"), _ended);
        Assert.That(_ended, Does.Match(@"worker-1 +http://127\.0\.0\.1:\d+/metrics  \(killed\)").And.Match(@"scheduler +http://127\.0\.0\.1:\d+/metrics"), _ended);
    }

    [Test]
    public void Ctrl_C_then_stops_everything_it_started()
    {
        Assert.That(_stopped, Does.Contain("Ctrl+C: stopping everything").And.Contain("stopped; nothing left running").And.Contain("EXIT=0"), _stopped);
        Assert.That(_log, Does.Contain("worker-2    | (exited with 0)"), "the surviving worker shut down gracefully; its output is in the log");
        Assert.That(_left, Is.Empty);
        Assert.That(Directory.GetDirectories(_root), Is.Empty, "the sandbox is removed");
    }
}
