using System.Diagnostics;
using NUnit.Framework;
using TgFleet.DevServers;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// The gate cannot record anything when it dies or freezes with its worker: the survivor waits out
/// the disconnect delay (8 s here, the simulator's 6 s plus a margin), then takes over.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_a_worker_and_its_gate_stop_together
{
    private static readonly TimeSpan TakeOverDelay = TimeSpan.FromSeconds(8);
    private PausedFleet _fleet = null!;

    [SetUp]
    public async Task StartAsync() =>
        _fleet = await PausedFleet.StartAsync(cloudDelay: TimeSpan.FromSeconds(6), takeOverDelay: TakeOverDelay, perWorker: 3);

    [TearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task Frozen_together_the_survivor_waits_out_the_delay_and_no_session_is_lost_after_they_resume()
    {
        var gate = _fleet.GatePid;
        var takeOver = TimeSpan.Zero;
        await PausedFleet.PauseAsync(TimeSpan.FromSeconds(20), async since =>
        {
            await _fleet.SendFromAllAsync("during");
            takeOver = Stopwatch.GetElapsedTime(since, await _fleet.WaitForVictimsOnlineAsync(since, TimeSpan.FromSeconds(19)));
        }, _fleet.Victim.Run.Pid, gate);

        await _fleet.WaitForEveryOutcomeAsync(TimeSpan.FromSeconds(60));
        await _fleet.EveryAccountSendsAgainAsync(TimeSpan.FromSeconds(60));

        Assert.That(takeOver, Is.GreaterThanOrEqualTo(TakeOverDelay), "not before the disconnect delay: nothing recorded the old connections closed");
        Assert.That((await _fleet.Fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero, "the resumed gate refused the resumed TDLib's connections");
        Assert.That(_fleet.WithSeveralOutcomes, Is.Empty);
        Assert.That(await _fleet.ErrorQueueMessagesAsync(), Is.Zero);
        TestContext.Out.WriteLine($"take-over after freezing worker and gate: {takeOver.TotalSeconds:0.0} s");
    }

    [Test]
    public async Task Killed_together_the_survivor_waits_out_the_delay_then_takes_over()
    {
        var gate = _fleet.GatePid;
        var killed = Stopwatch.GetTimestamp();
        Signals.Send(gate, Signals.KillNow);
        await _fleet.Victim.KillAsync();

        var back = await _fleet.WaitForVictimsOnlineAsync(killed, TimeSpan.FromSeconds(60));
        var takeOver = Stopwatch.GetElapsedTime(killed, back);
        await _fleet.EveryAccountSendsAgainAsync(TimeSpan.FromSeconds(60));

        Assert.That(takeOver, Is.GreaterThanOrEqualTo(TakeOverDelay));
        Assert.That((await _fleet.Fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero);
        TestContext.Out.WriteLine($"take-over after kill -9 of worker and gate: {takeOver.TotalSeconds:0.0} s");
    }
}
