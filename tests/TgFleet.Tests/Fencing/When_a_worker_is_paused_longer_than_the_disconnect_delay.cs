using NUnit.Framework;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// SIGSTOP (its gate running) for longer than the simulator's disconnect delay (6 s here, as a test
/// shortens TDLib's 135 s): the cloud has dropped the frozen worker's sessions by the time it
/// continues, and its TDLib clients try to connect again at once.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_a_worker_is_paused_longer_than_the_disconnect_delay
{
    private static readonly TimeSpan CloudDelay = TimeSpan.FromSeconds(6);
    private PausedFleet _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _fleet = await PausedFleet.StartAsync(cloudDelay: CloudDelay, takeOverDelay: TimeSpan.FromSeconds(90), perWorker: 5);

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task No_session_is_lost_every_command_has_one_outcome_and_every_account_sends_again()
    {
        var takeOver = await _fleet.PauseVictimWhileSendingAsync(TimeSpan.FromSeconds(12));

        await _fleet.AssertNothingLostOrDoubledAsync();
        Assert.That(takeOver, Is.LessThan(TimeSpan.FromSeconds(60)), "taken over on the gate's record (not after the 90 s delay)");
        TestContext.Out.WriteLine($"take-over after SIGSTOP longer than the {CloudDelay.TotalSeconds:0} s disconnect delay: {takeOver.TotalSeconds:0.0} s (lease TTL {Worker.Fleet.FleetBed.LeaseTtl.TotalSeconds:0} s)");
    }
}
