using System.Diagnostics;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>
/// A worker hands its shards over (SIGTERM) and the simulator makes one account's restore on the
/// new owner slow (<c>restoreDelayMs</c>): a SendMessage that arrives meanwhile waits for the
/// restore (Sending:RestoreWait) and is sent, instead of failing ACCOUNT_NOT_READY
/// (docs/messaging.md, "Transient or final").
/// </summary>
[TestFixture, Category("Fleet")]
public sealed class When_a_send_arrives_while_its_account_is_restored
{
    private static readonly TimeSpan RestoreDelay = TimeSpan.FromSeconds(5);
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task It_is_sent_once_the_account_is_ready_not_failed()
    {
        var workers = await _fleet.StartWorkersAsync("w1", "w2");
        var (leaving, staying) = (workers[0], workers[1]);
        var owners = await _fleet.WaitForFairShareAsync(leaving, staying);
        var account = await _fleet.LogInAsync(owners.First(o => o.Value == leaving.Id).Key);
        var to = await _fleet.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Rosa", Username: "r" + Guid.NewGuid().ToString("N")[..12]));
        await _fleet.Sim.SetFaultsAsync(account.Phone, new AccountFaults(RestoreDelayMs: (int)RestoreDelay.TotalMilliseconds));
        var stopped = FleetEvents.Now;

        var terminated = leaving.TerminateAsync(FleetBed.Deadline);
        // The new owner holds the shard: it restores the account's session (slowly) before it is ready.
        await Wait.UntilAsync(async () => (await _fleet.OwnersAsync()).GetValueOrDefault(account.Shard) == staying.Id, FleetBed.Deadline, _fleet.Describe);
        var command = new SendMessage(Guid.NewGuid(), account.Id, Recipient.Username(to.Username!), "while restoring " + Guid.NewGuid().ToString("N"));
        var sentAt = FleetEvents.Now;
        await _fleet.SendAsync(command);

        await Wait.UntilAsync(() => _fleet.Events.Since<MessageSent>(sentAt).Any(e => e.Message.CommandId == command.CommandId)
            || _fleet.Events.Since<MessageFailed>(sentAt).Any(e => e.Message.CommandId == command.CommandId), FleetBed.Deadline + RestoreDelay, _fleet.Describe);
        var online = await _fleet.Events.WaitForStatusAsync(account.Id, AccountStatus.Online, stopped, FleetBed.Deadline, _fleet.Describe);
        Assert.That(await terminated, Is.Zero, "a clean shutdown after the hand-over:\n" + leaving.Tail());

        var failed = _fleet.Events.Since<MessageFailed>(sentAt).Where(e => e.Message.CommandId == command.CommandId).Select(e => e.Message.Reason).ToList();
        Assert.That(failed, Is.Empty, "not failed while the account was restored");
        var sent = _fleet.Events.Since<MessageSent>(sentAt).Where(e => e.Message.CommandId == command.CommandId).ToList();
        Assert.That(sent, Has.Count.EqualTo(1), "sent once the account was ready");
        Assert.That(online, Is.GreaterThan(sentAt), "the command arrived while the account was still being restored (it came online after)");
        Assert.That((await _fleet.Sim.ReceivedAsync("@" + to.Username)).Count(m => m.Text == command.Text), Is.EqualTo(1), "the witness has it once");
        TestContext.Progress.WriteLine($"sent {Seconds(sent[0].At - sentAt):0.0} s after it was published; the account came online {Seconds(online - sentAt):0.0} s after");
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
