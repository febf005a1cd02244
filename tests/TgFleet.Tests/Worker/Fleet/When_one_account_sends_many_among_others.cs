using NUnit.Framework;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Fleet;

[TestFixture, Category("Fleet")]
public sealed class When_one_account_sends_many_among_others
{
    private FleetBed _fleet = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _fleet = await FleetBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task The_recipient_gets_its_messages_in_exactly_the_order_sent()
    {
        await _fleet.StartWorkersAsync("w1");
        var accounts = new[] { await _fleet.LogInAsync(5), await _fleet.LogInAsync(5), await _fleet.LogInAsync(5) };
        // Latency with jitter wider than the gap between two sends: left to chance, later ones would overtake.
        foreach (var account in accounts)
        {
            await _fleet.Sim.SetFaultsAsync(account.Phone, new AccountFaults(LatencyMs: 40, JitterMs: 35));
        }

        var recipients = new List<string>();
        for (var i = 0; i < accounts.Length; i++)
        {
            recipients.Add((await _fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), $"R{i}", Username: "o" + Guid.NewGuid().ToString("N")[..12]))).Username!);
        }

        var commands = new List<SendMessage>();
        for (var n = 0; n < 50; n++)
        {
            commands.Add(new SendMessage(Guid.NewGuid(), accounts[0].Id, Recipient.Username(recipients[0]), $"#{n}"));
            if (n % 2 == 0)
            {
                commands.Add(new SendMessage(Guid.NewGuid(), accounts[1 + (n / 2 % 2)].Id, Recipient.Username(recipients[1 + (n / 2 % 2)]), $"other {n}"));
            }
        }

        foreach (var command in commands)
        {
            await _fleet.SendAsync(command);
        }

        await Wait.UntilAsync(() => commands.All(c => _fleet.Events.Since<MessageSent>(0).Any(e => e.Message.CommandId == c.CommandId)), FleetBed.Deadline * 2, _fleet.Describe);

        var received = await _fleet.Sim.ReceivedAsync("@" + recipients[0]);
        Assert.That(received.Select(m => m.Text), Is.EqualTo(Enumerable.Range(0, 50).Select(n => $"#{n}")), "the witness: in order, each once");
        Assert.That((await _fleet.Sim.ReceivedAsync("@" + recipients[1])).Length + (await _fleet.Sim.ReceivedAsync("@" + recipients[2])).Length, Is.EqualTo(25));
    }
}
