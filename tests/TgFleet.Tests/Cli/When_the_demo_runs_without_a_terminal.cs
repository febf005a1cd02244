using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli;

[TestFixture, Category("Cli"), Parallelizable(ParallelScope.Self)]
public sealed class When_the_demo_runs_without_a_terminal
{
    private string _root = null!;
    private ProcessRun _run = null!;
    private int _exit;

    [OneTimeSetUp]
    public async Task RunAsync()
    {
        _root = TestInfrastructure.CreateTempDirectory("demo");
        // Short: two workers, three senders (one hits PEER_FLOOD, one a FLOOD_WAIT short enough for
        // TDLib to wait out, so that the campaign has no 65 s tail), 60 recipients (every kind).
        _run = ProcessRun.Start("dotnet", [Demo.Dll, "--workers", "2", "--senders", "3", "--recipients", "60", "--campaign-seconds", "4", "--flood-wait", "3",
            "--data", _root],
            workingDirectory: Repository.Root);
        _exit = await _run.ExitAsync(TimeSpan.FromMinutes(5));
    }

    [OneTimeTearDown]
    public async Task CleanAsync()
    {
        await _run.DisposeAsync();
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_root + "-logs", recursive: true);
    }

    [Test]
    public void It_ends_by_itself_with_a_summary_that_matches_the_witness()
    {
        Assert.That(_exit, Is.Zero, _run.Output);
        Assert.That(_run.Output, Does.Contain("the summary matches the witness"));
        Assert.That(_run.Output, Does.Contain("ok   duplicates: campaign -, witness 0").And.Contain("ok   sends inside FLOOD_WAIT: campaign -, witness 0")
            .And.Contain("ok   sends to opted-out users: campaign -, witness 0"));
        // 60 recipients: 4 privacy-restricted, 1 unknown username, 2 opted out before (Seeding.KindOf).
        Assert.That(_run.Output, Does.Match(@"ok   failed: campaign \d+: .*USER_PRIVACY_RESTRICTED \d, witness \d+ USER_PRIVACY_RESTRICTED answers")
            .And.Contain("ok   skipped (opted out): campaign 2, witness cast: 2 opted out before")
            .And.Contain("ok   every shard owned by a running worker: campaign yes"));
        Assert.That(_run.Output, Does.Match(@"FLOOD_WAIT / PEER_FLOOD answers: campaign -, witness [1-9]\d* / [1-9]"), "both faults were played");
    }

    [Test]
    public void It_prints_plain_progress_lines_with_the_killed_worker()
    {
        var progress = _run.Output.Split('\n').Where(l => l.StartsWith("campaign demo campaign: ", StringComparison.Ordinal)).ToList();
        Assert.That(progress, Has.Count.GreaterThan(1), _run.Output);
        Assert.That(progress[^1], Does.Contain("completed").And.Contain("worker-1(killed)"));
        Assert.That(_run.Output, Does.Not.Contain("\u001b"), "no colour or cursor movement without a terminal");
    }

    [Test]
    public void It_names_every_metrics_endpoint_and_leaves_nothing_running()
    {
        foreach (var process in new[] { "simulator", "worker-1", "worker-2", "scheduler" })
        {
            Assert.That(_run.Output, Does.Match($@"  {process} +http://127\.0\.0\.1:\d+/metrics"));
        }

        Assert.That(_run.Output, Does.Contain("stopped; nothing left running"));
        Assert.That(ProcessTable.CommandLinesContaining(_root), Is.Empty);
        Assert.That(File.ReadAllText(Demo.LogOf(_run.Output)), Does.Contain("worker-2    |"), "the processes' output is in the log file");
    }
}
