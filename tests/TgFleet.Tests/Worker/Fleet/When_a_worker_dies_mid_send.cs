using Dapper;
using NUnit.Framework;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>
/// A worker killed (SIGKILL) after it handed a send to TDLib, released the broker delivery, and
/// before Telegram's answer: the shard's next owner resolves the row the dead worker left
/// <c>sending</c> (docs/messaging.md, "Sends finish asynchronously").
/// </summary>
[TestFixture, Category("Fleet")]
public sealed class When_a_worker_dies_mid_send
{
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task Exactly_one_outcome_is_reported_it_agrees_with_the_witness_and_nothing_is_sent_twice()
    {
        var workers = await _fleet.StartWorkersAsync("w1");
        var account = await _fleet.LogInAsync(0);
        var to = await _fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), "Rita", Username: "r" + Guid.NewGuid().ToString("N")[..12]));
        // Telegram is slow for this account: the send is still at Telegram when the worker dies.
        await _fleet.Sim.SetFaultsAsync(account.Phone, new AccountFaults(LatencyMs: 4000));
        var command = new SendMessage(Guid.NewGuid(), account.Id, Recipient.Username(to.Username!), "exactly once");

        await _fleet.SendAsync(command);
        // Handed to TDLib: the delivery is done, the outcome still to come.
        await Wait.UntilAsync(async () => await workers[0].MetricAsync("tgfleet_commands_total", "outcome=\"handed_off\"") >= 1, FleetBed.Deadline, _fleet.Describe);
        await workers[0].KillAsync();
        await _fleet.Sim.SetFaultsAsync(account.Phone, new AccountFaults(LatencyMs: 0));
        await _fleet.StartWorkersAsync("w2");
        await Wait.UntilAsync(async () => await JournalAsync(command.CommandId) is { State: not "sending", Unpublished: false }, FleetBed.Deadline, _fleet.Describe);
        await Wait.UntilAsync(() => _fleet.Events.Outcomes(command.CommandId).Any(), FleetBed.Deadline, _fleet.Describe);
        var after = new SendMessage(Guid.NewGuid(), account.Id, Recipient.Username(to.Username!), "after the failover");
        await _fleet.SendAsync(after);
        await Wait.UntilAsync(() => _fleet.Events.Outcomes(after.CommandId).Any(), FleetBed.Deadline, _fleet.Describe);

        var outcome = _fleet.Events.Outcomes(command.CommandId).Single();
        var journal = await JournalAsync(command.CommandId);
        TestContext.Progress.WriteLine($"The next owner resolved the open send as {outcome.GetType().Name}.");
        if (outcome is MessageSent)
        {
            // The chat showed it: the witness gets it (after Telegram's latency), once.
            Assert.That(journal!.Value.State, Is.EqualTo("succeeded"));
            await Wait.UntilAsync(async () => (await _fleet.Sim.ReceivedAsync("@" + to.Username)).Any(m => m.Text == "exactly once"), FleetBed.Deadline);
        }
        else
        {
            Assert.That(((MessageFailed)outcome).Reason, Is.EqualTo("OUTCOME_UNKNOWN"));
            Assert.That(journal!.Value.State, Is.EqualTo("unknown"));
        }

        Assert.That(_fleet.Events.Outcomes(after.CommandId).Single(), Is.TypeOf<MessageSent>(), "the account works on its new worker");
        var received = await _fleet.Sim.ReceivedAsync("@" + to.Username);
        Assert.That(received.Count(m => m.Text == "exactly once"), Is.LessThanOrEqualTo(1), "never twice");
        Assert.That(received.Count(m => m.Text == "after the failover"), Is.EqualTo(1));
        var witness = await _fleet.Sim.SummaryAsync();
        Assert.That((witness.Duplicates, witness.AuthKeyDuplicatedCount), Is.EqualTo((0L, 0)));
    }


    private async Task<(string State, bool Unpublished)?> JournalAsync(Guid commandId)
    {
        await using var conn = await _fleet.Db.OpenConnectionAsync();
        return await conn.QuerySingleOrDefaultAsync<(string State, bool Unpublished)?>("SELECT state, unpublished FROM command_journal WHERE command_id = @Id", new { Id = commandId });
    }
}
