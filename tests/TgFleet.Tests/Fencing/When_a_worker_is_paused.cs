using System.Diagnostics;
using NUnit.Framework;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// SIGSTOP for 25 s, shorter than the simulator's disconnect delay: the frozen worker's connections
/// would still be live to the cloud when its successor restores the sessions, were it not for its
/// gate.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_a_worker_is_paused
{
    private PausedFleet _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _fleet = await PausedFleet.StartAsync(cloudDelay: TimeSpan.FromSeconds(60), takeOverDelay: TimeSpan.FromSeconds(90), perWorker: 5);

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task No_session_is_lost_every_command_has_one_outcome_and_every_account_sends_again()
    {
        await _fleet.SendFromAllAsync("before");
        var takeOver = TimeSpan.Zero;

        await PausedFleet.PauseAsync(TimeSpan.FromSeconds(25), async since =>
        {
            await _fleet.SendFromAllAsync("during");
            takeOver = Stopwatch.GetElapsedTime(since, await _fleet.WaitForVictimsOnlineAsync(since, TimeSpan.FromSeconds(24)));
        }, _fleet.Victim.Run.Pid);

        await _fleet.WaitForEveryOutcomeAsync(TimeSpan.FromSeconds(60));
        var again = await _fleet.EveryAccountSendsAgainAsync(TimeSpan.FromSeconds(60));

        Assert.That((await _fleet.Fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero, "no session ran twice");
        Assert.That(_fleet.WithSeveralOutcomes, Is.Empty, "one outcome per command");
        Assert.That(await _fleet.ErrorQueueMessagesAsync(), Is.Zero, "nothing in an _error queue");
        Assert.That(again, Is.EqualTo(10));
        Assert.That(takeOver, Is.LessThan(TimeSpan.FromSeconds(25)), "taken over during the pause, on the gate's record (not after the 90 s delay)");
        TestContext.Out.WriteLine($"take-over after SIGSTOP: {takeOver.TotalSeconds:0.0} s (lease TTL {Worker.Fleet.FleetBed.LeaseTtl.TotalSeconds:0} s)");
    }
}
