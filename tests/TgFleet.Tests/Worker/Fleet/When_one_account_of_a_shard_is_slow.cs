using System.Diagnostics;
using NUnit.Framework;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Fleet;

[TestFixture, Category("Fleet")]
public sealed class When_one_account_of_a_shard_is_slow
{
    private static readonly string[] Delivered = ["slow", "quick 0", "quick 1"];
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task Its_shard_mates_sends_complete_while_its_own_is_still_with_Telegram()
    {
        await _fleet.StartWorkersAsync("w1");
        var slow = await _fleet.LogInAsync(3);
        var mates = new[] { await _fleet.LogInAsync(3), await _fleet.LogInAsync(3) };
        var to = await _fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), "Sam", Username: "s" + Guid.NewGuid().ToString("N")[..12]));
        await _fleet.Sim.SetFaultsAsync(slow.Phone, new AccountFaults(LatencyMs: 8000));

        var stuck = new SendMessage(Guid.NewGuid(), slow.Id, Recipient.Username(to.Username!), "slow");
        await _fleet.SendAsync(stuck);
        // The slow send has reached Telegram (the simulator holds it for 8 s) before the others are sent.
        await Wait.UntilAsync(async () => await JournalStateAsync(stuck.CommandId) == "sending", FleetBed.Deadline, _fleet.Describe);
        var sentAt = FleetEvents.Now;
        var quick = mates.Select((m, i) => new SendMessage(Guid.NewGuid(), m.Id, Recipient.Username(to.Username!), $"quick {i}")).ToArray();
        foreach (var command in quick)
        {
            await _fleet.SendAsync(command);
        }

        await Wait.UntilAsync(() => quick.All(c => Sent(c.CommandId) is not null), FleetBed.Deadline, _fleet.Describe);
        var quickDone = quick.Max(c => Sent(c.CommandId)!.Value);
        await Wait.UntilAsync(() => Sent(stuck.CommandId) is not null, FleetBed.Deadline, _fleet.Describe);

        TestContext.Progress.WriteLine($"shard-mates' sends took {Stopwatch.GetElapsedTime(sentAt, quickDone).TotalMilliseconds:0} ms while the slow account's send was with Telegram");
        Assert.That(quickDone, Is.LessThan(Sent(stuck.CommandId)!.Value), "the shard-mates' MessageSent arrived before the slow account's");
        var received = await _fleet.Sim.ReceivedAsync("@" + to.Username);
        Assert.That(received.Select(m => m.Text), Is.EquivalentTo(Delivered), "each delivered once");
    }

    private long? Sent(Guid commandId) =>
        _fleet.Events.Since<MessageSent>(0).Where(e => e.Message.CommandId == commandId).Select(e => (long?)e.At).FirstOrDefault();

    private async Task<string?> JournalStateAsync(Guid commandId)
    {
        await using var conn = await _fleet.Db.OpenConnectionAsync();
        return await Dapper.SqlMapper.QuerySingleOrDefaultAsync<string>(conn, "SELECT state FROM command_journal WHERE command_id = @Id", new { Id = commandId });
    }
}
