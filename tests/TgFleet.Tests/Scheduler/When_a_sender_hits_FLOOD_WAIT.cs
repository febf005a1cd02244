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
    public async Task StartAsync() => _bed = await CampaignBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Nothing_is_sent_inside_the_wait_and_every_recipient_gets_its_message()
    {
        await _bed.Fleet.StartWorkersAsync("w1");
        await _bed.StartSchedulersAsync(null, "s1");
        var sender = await _bed.Fleet.LogInAsync(0);
        // Telegram answers FLOOD_WAIT_3 after every second send of this account.
        await _bed.Fleet.Sim.SetFaultsAsync(sender.Phone, new AccountFaults(FloodWaitSeconds: 3, FloodAfterSends: 2));
        var users = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            users.Add(await _bed.SeedRecipientAsync("F" + i));
        }

        var campaignId = Guid.NewGuid();
        await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, "flood", [sender.Id], new MessageTemplate("patience"),
            new CampaignPacing(MinimumIntervalMs: 0, DailyCapPerSender: 100) { MaxAttempts = 5 }));
        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
        await _bed.SendAsync(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), users.Select(u => new CampaignRecipient(Recipient.Username(u))).ToList()));

        var completed = await _bed.WaitForAsync<CampaignCompleted>(e => e.CampaignId == campaignId, TimeSpan.FromSeconds(120));

        Assert.That(completed.Deliveries.Sent, Is.EqualTo(5));
        foreach (var user in users)
        {
            Assert.That(await _bed.ReceivedAsync(user), Has.Count.EqualTo(1), user);
        }

        var witness = await _bed.Fleet.Sim.SummaryAsync();
        Assert.That((witness.SendsDuringFloodWait, witness.Duplicates), Is.EqualTo((0L, 0L)));
    }
}
