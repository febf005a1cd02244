using Dapper;
using NUnit.Framework;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>
/// A shard's previous owner began a send's journal row under its lease just before the shard was
/// taken over, and the row committed only after the next owner had looked for what was left open
/// (a statement running across the take-over; docs/messaging.md). The next owner looks again
/// after <c>Sending:LeftOpenRescan</c>, so the send still ends in exactly one outcome.
/// </summary>
[TestFixture, Category("Fleet")]
public sealed class When_a_predecessor_commits_a_send_late
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Sending__LeftOpenRescan"] = "00:00:10",
        ["Logging__LogLevel__TgFleet.Worker.Messaging.SendOutcomes"] = "Debug",
    };
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task The_next_owner_finds_the_row_and_answers_it_once()
    {
        var first = await _fleet.StartWorkersAsync(Settings, "w1");
        var account = await _fleet.LogInAsync(0);
        var shard = ShardAddressing.ShardOf(account.Id, FleetBed.Shards);
        long oldEpoch;
        await using (var conn = await _fleet.Db.OpenConnectionAsync())
        {
            oldEpoch = await conn.ExecuteScalarAsync<long>("SELECT epoch FROM shard_leases WHERE shard = @Shard", new { Shard = shard });
        }

        await first[0].KillAsync();
        var next = (await _fleet.StartWorkersAsync(Settings, "w2"))[0];
        var looked = $"Looked for sends earlier owners of shard {shard} left open";
        await Wait.UntilAsync(() => next.Run.Output.Contains(looked, StringComparison.Ordinal), FleetBed.Deadline, _fleet.Describe);

        // Just after the next owner's first look, the predecessor's late row commits, under the epoch it had read.
        var late = Guid.NewGuid();
        await using (var conn = await _fleet.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("""
                INSERT INTO command_journal (command_id, account_id, command, state, shard, epoch)
                VALUES (@Id, @Account, 'SendMessage', 'sending', @Shard, @Epoch)
                """, new { Id = late, Account = account.Id, Shard = shard, Epoch = oldEpoch });
        }

        // The account works on the next owner meanwhile.
        var to = await _fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), "Lena", Username: "l" + Guid.NewGuid().ToString("N")[..12]));
        var probe = new SendMessage(Guid.NewGuid(), account.Id, Recipient.Username(to.Username!), "on the next owner");
        await _fleet.SendAsync(probe);
        await Wait.UntilAsync(() => Outcomes(probe.CommandId).Any(), FleetBed.Deadline, _fleet.Describe);
        Assert.That(Outcomes(probe.CommandId).Single(), Is.TypeOf<MessageSent>());

        await Wait.UntilAsync(() => Outcomes(late).Any(), TimeSpan.FromSeconds(60), _fleet.Describe);
        Assert.That(next.Run.Output.Split('\n').Count(l => l.Contains(looked, StringComparison.Ordinal)), Is.EqualTo(2), "looked once at the start and once more");

        var outcome = Outcomes(late).Single();
        Assert.That(outcome, Is.TypeOf<MessageFailed>());
        Assert.That(((MessageFailed)outcome).Reason, Is.EqualTo("OUTCOME_UNKNOWN"), "the chat does not show it: never sent again, reported unknown");
        await using (var conn = await _fleet.Db.OpenConnectionAsync())
        {
            Assert.That(await conn.ExecuteScalarAsync<string>("SELECT state FROM command_journal WHERE command_id = @Id", new { Id = late }), Is.EqualTo("unknown"));
        }
    }

    private IEnumerable<object> Outcomes(Guid commandId) =>
        _fleet.Events.Since<MessageSent>(0).Where(e => e.Message.CommandId == commandId).Select(e => (object)e.Message)
            .Concat(_fleet.Events.Since<MessageFailed>(0).Where(e => e.Message.CommandId == commandId).Select(e => (object)e.Message));
}
