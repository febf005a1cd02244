using System.Globalization;
using NUnit.Framework;
using TgFleet.Tests.Scheduler;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Cli.Fleet;

/// <summary>
/// ONE running fleet for the command-line tests of this namespace (a worker process on an
/// in-process simulator, a scheduler process, their own database and virtual host): starting the
/// processes is the expensive part, and every test here uses accounts and campaigns of its own.
/// </summary>
[SetUpFixture]
public sealed class CliFleet
{
    // The accounts the fixtures here send with, one per use (two for the campaign): logged in all
    // at once while the fleet starts rather than one after another inside the tests.
    private static readonly (string Use, int Shard)[] Uses =
        [("campaign-1", 0), ("campaign-2", 4), ("watched", 2), ("rejected", 6), ("large", 7), ("sender", 5), ("logout", 1)];

    private static SchedulerProcess _scheduler = null!;
    private static Dictionary<string, FleetAccount> _accounts = null!;

    internal static FleetBed Bed { get; private set; } = null!;

    /// <summary>The worker's id.</summary>
    internal const string WorkerId = "cli-w1";

    /// <summary>The options that point tgfleet at the fleet.</summary>
    internal static string[] Connection =>
    [
        "--rabbitmq", Bed.VirtualHost.AmqpUri.ToString(), "--database", Bed.Database.ConnectionString,
        "--shards", FleetBed.Shards.ToString(CultureInfo.InvariantCulture),
    ];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Bed = await FleetBed.StartAsync();
        _scheduler = SchedulerProcess.Start(Bed, "cli-s1");
        var workers = await Bed.StartWorkersAsync(WorkerId);
        await Bed.WaitForFairShareAsync(workers);
        await _scheduler.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        var accounts = await Task.WhenAll(Uses.Select(u => Bed.LogInAsync(u.Shard)));
        _accounts = Uses.Zip(accounts).ToDictionary(x => x.First.Use, x => x.Second);
    }

    /// <summary>The logged-in account of one fixture here (<paramref name="use"/>: what it is for).</summary>
    internal static FleetAccount Account(string use) => _accounts[use];

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _scheduler.DisposeAsync();
        await Bed.DisposeAsync();
    }

    /// <summary>Runs tgfleet against the fleet.</summary>
    internal static Task<CliResult> RunAsync(params string[] args) => CliProcess.RunAsync([.. args, .. Connection]);

    /// <summary>Asserts the run failed with <paramref name="exitCode"/>, ONE line on stderr containing <paramref name="message"/>, nothing on stdout.</summary>
    internal static void AssertFailure(CliResult result, int exitCode, string message)
    {
        Assert.That(result.ExitCode, Is.EqualTo(exitCode), result.ToString());
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1), result.ToString());
        Assert.That(result.ErrorLines[0], Does.StartWith("tgfleet: ").And.Contain(message), result.ToString());
    }
}
