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
        var takeOver = await _fleet.PauseVictimWhileSendingAsync(TimeSpan.FromSeconds(25));

        await _fleet.AssertNothingLostOrDoubledAsync();
        Assert.That(takeOver, Is.LessThan(TimeSpan.FromSeconds(25)), "taken over during the pause, on the gate's record (not after the 90 s delay)");
        TestContext.Out.WriteLine($"take-over after SIGSTOP: {takeOver.TotalSeconds:0.0} s (lease TTL {Worker.Fleet.FleetBed.LeaseTtl.TotalSeconds:0} s)");
    }
}
