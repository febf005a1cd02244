using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_sender_hits_FLOOD_WAIT
{
    private CampaignBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await CampaignBed.StartAsync();
        await _bed.Fleet.StartWorkersAsync("w1");
        await _bed.StartSchedulersAsync(null, "s1");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Nothing_is_sent_inside_the_wait_and_every_recipient_gets_its_message()
    {
        var sender = await _bed.Fleet.LogInAsync(0);
        // Telegram answers FLOOD_WAIT_3 after every second send of this account.
        await _bed.Fleet.Sim.SetFaultsAsync(sender.Phone, new AccountFaults(FloodWaitSeconds: 3, FloodAfterSends: 2));
        var users = await RecipientsAsync("F", 5);

        var completed = await RunAsync("flood", [sender.Id], users, TimeSpan.FromSeconds(120));

        Assert.That(completed.Deliveries.Sent, Is.EqualTo(5));
        foreach (var user in users)
        {
            Assert.That(await _bed.ReceivedAsync(user), Has.Count.EqualTo(1), user);
        }

        var witness = await _bed.Fleet.Sim.SummaryAsync();
        Assert.That((witness.SendsDuringFloodWait, witness.Duplicates), Is.EqualTo((0L, 0L)));
    }

    [Test]
    public async Task Its_deliveries_go_to_another_ready_sender_while_it_waits()
    {
        var flooded = await _bed.Fleet.LogInAsync(1);
        var other = await _bed.Fleet.LogInAsync(2);
        // After its first send, the flooded sender is told to wait 10 minutes (longer than the worker
        // holds a send), so the campaign can only complete if the other sender takes its deliveries.
        await _bed.Fleet.Sim.SetFaultsAsync(flooded.Phone, new AccountFaults(FloodWaitSeconds: 600, FloodAfterSends: 1));
        var users = await RecipientsAsync("G", 6);

        var completed = await RunAsync("flood-over", [flooded.Id, other.Id], users, CampaignBed.Deadline * 2);

        Assert.That(completed.Deliveries.Sent, Is.EqualTo(6));
        var from = new List<string>();
        foreach (var user in users)
        {
            var received = await _bed.Fleet.Sim.ReceivedAsync("@" + user);
            Assert.That(received, Has.Length.EqualTo(1), user);
            from.Add(received[0].FromPhone);
        }

        static string Digits(string phone) => new(phone.Where(char.IsAsciiDigit).ToArray());
        Assert.That(from.Count(p => Digits(p) == Digits(flooded.Phone)), Is.LessThanOrEqualTo(1), "the flooded sender sent only before its wait");
        Assert.That(from.Count(p => Digits(p) == Digits(other.Phone)), Is.GreaterThanOrEqualTo(5), "the other sender took its deliveries");
        Assert.That((await _bed.Fleet.Sim.SummaryAsync()).SendsDuringFloodWait, Is.Zero);
        var status = await _bed.StatusAsync(completed.CampaignId);
        Assert.That(status.Senders.Single(s => s.AccountId == flooded.Id).State, Is.EqualTo("FLOOD_WAIT"), "it stays blocked until RetryAfter");
    }

    private async Task<List<string>> RecipientsAsync(string prefix, int count)
    {
        var users = new List<string>();
        for (var i = 0; i < count; i++)
        {
            users.Add(await _bed.SeedRecipientAsync(prefix + i));
        }

        return users;
    }

    private async Task<CampaignCompleted> RunAsync(string name, IReadOnlyList<string> senders, IReadOnlyList<string> users, TimeSpan deadline)
    {
        var campaignId = Guid.NewGuid();
        await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, name, senders, new MessageTemplate("patience"),
            new CampaignPacing(MinimumIntervalMs: 0, DailyCapPerSender: 100) { MaxAttempts = 5 }));
        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
        await _bed.SendAsync(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), users.Select(u => new CampaignRecipient(Recipient.Username(u))).ToList()));
        return await _bed.WaitForAsync<CampaignCompleted>(e => e.CampaignId == campaignId, deadline);
    }
}
