using System.Diagnostics;
using NUnit.Framework;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// A worker paused with SIGSTOP while its gate runs, twice on one fleet: first for longer than the
/// simulator's disconnect delay (6 s here, as a test shortens TDLib's 135 s), then for 25 s with the
/// delay raised to 60 s, so the frozen worker's connections would still be live to the cloud when
/// its successor restores the sessions, were it not for its gate.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_a_worker_is_paused
{
    private static readonly TimeSpan ShortCloudDelay = TimeSpan.FromSeconds(6);
    private PausedFleet _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _fleet = await PausedFleet.StartAsync(cloudDelay: ShortCloudDelay, takeOverDelay: TimeSpan.FromSeconds(90), perWorker: 5);

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test, Order(1)]
    public async Task Longer_than_the_disconnect_delay_no_session_is_lost_every_command_has_one_outcome_and_every_account_sends_again()
    {
        await _fleet.RegroupAsync();
        var takeOver = await PauseWhileSendingAsync(TimeSpan.FromSeconds(12));

        await AssertEverythingTruthfulAsync();
        Assert.That(takeOver, Is.LessThan(TimeSpan.FromSeconds(60)), "taken over on the gate's record (not after the 90 s delay)");
        TestContext.Out.WriteLine($"take-over after SIGSTOP longer than the {ShortCloudDelay.TotalSeconds:0} s disconnect delay: {takeOver.TotalSeconds:0.0} s (lease TTL {Worker.Fleet.FleetBed.LeaseTtl.TotalSeconds:0} s)");
    }

    [Test, Order(2)]
    public async Task For_25_s_no_session_is_lost_every_command_has_one_outcome_and_every_account_sends_again()
    {
        // Raised, not lowered: the clients' pings (a quarter of the delay they connected with) stay often enough.
        _fleet.Fleet.Sim.Server.Cloud.DisconnectDelay = TimeSpan.FromSeconds(60);
        await _fleet.RegroupAsync();
        var takeOver = await PauseWhileSendingAsync(TimeSpan.FromSeconds(25));

        await AssertEverythingTruthfulAsync();
        Assert.That(takeOver, Is.LessThan(TimeSpan.FromSeconds(25)), "taken over during the pause, on the gate's record (not after the 90 s delay)");
        TestContext.Out.WriteLine($"take-over after SIGSTOP: {takeOver.TotalSeconds:0.0} s (lease TTL {Worker.Fleet.FleetBed.LeaseTtl.TotalSeconds:0} s)");
    }

    /// <summary>Sends from every account, pauses the victim for at least <paramref name="pause"/>, sending again meanwhile; returns the survivor's take-over time.</summary>
    private async Task<TimeSpan> PauseWhileSendingAsync(TimeSpan pause)
    {
        await _fleet.SendFromAllAsync("before");
        var takeOver = TimeSpan.Zero;
        await PausedFleet.PauseAsync(pause, async since =>
        {
            await _fleet.SendFromAllAsync("during");
            takeOver = Stopwatch.GetElapsedTime(since, await _fleet.WaitForVictimsOnlineAsync(since, TimeSpan.FromSeconds(60)));
        }, _fleet.Victim.Run.Pid);
        return takeOver;
    }

    private async Task AssertEverythingTruthfulAsync()
    {
        await _fleet.WaitForEveryOutcomeAsync(TimeSpan.FromSeconds(60));
        var again = await _fleet.EveryAccountSendsAgainAsync(TimeSpan.FromSeconds(60));

        Assert.That((await _fleet.Fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero, "no session ran twice");
        Assert.That(_fleet.WithSeveralOutcomes, Is.Empty, "one outcome per command");
        Assert.That(await _fleet.ErrorQueueMessagesAsync(), Is.Zero, "nothing in an _error queue");
        Assert.That(await _fleet.Fleet.Sim.ReceivedAsync("@" + _fleet.Recipient), Has.Length.EqualTo(_fleet.SentCount), "the recipient got exactly the messages reported sent");
        Assert.That(again, Is.EqualTo(10));
    }
}
