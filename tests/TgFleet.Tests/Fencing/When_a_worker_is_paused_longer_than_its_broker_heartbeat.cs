using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// SIGSTOP (its gate running) for longer than the worker's AMQP heartbeat (5 s here; 60 s by
/// default): RabbitMQ drops the frozen worker's connection and hands its prefetched commands to the
/// shards' next owner. On SIGCONT the worker ends itself (<c>PauseWatch</c>) rather than hang on
/// the dead connection, and a fresh worker started in its place (as a supervisor would) joins.
/// </summary>
[TestFixture, Category("Fencing")]
public sealed class When_a_worker_is_paused_longer_than_its_broker_heartbeat
{
    private PausedFleet _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() =>
        _fleet = await PausedFleet.StartAsync(cloudDelay: TimeSpan.FromSeconds(6), takeOverDelay: TimeSpan.FromSeconds(90), perWorker: 3,
            settings: new Dictionary<string, string?> { ["RabbitMq__Heartbeat"] = "00:00:05" });

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task It_ends_itself_on_resume_and_a_fresh_worker_loses_nothing()
    {
        var paused = _fleet.Victim;
        await _fleet.PauseVictimWhileSendingAsync(TimeSpan.FromSeconds(20));

        await Wait.UntilAsync(() => paused.Run.HasExited, TimeSpan.FromSeconds(15), () => "the resumed worker still runs:\n" + paused.Run.Output);
        Assert.That(paused.Run.Output, Does.Contain("longer than its AMQP heartbeat"), "it says why it ended");
        await _fleet.ReplaceVictimAsync("w3");

        await _fleet.AssertNothingLostOrDoubledAsync();
    }
}
