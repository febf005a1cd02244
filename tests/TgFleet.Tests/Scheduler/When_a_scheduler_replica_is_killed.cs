using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_scheduler_replica_is_killed
{
    private CampaignBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await CampaignBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task The_other_completes_the_campaign_and_no_recipient_gets_a_message_twice()
    {
        await _bed.Fleet.StartWorkersAsync("w1");
        var settings = new Dictionary<string, string> { ["Campaigns:ResendAfter"] = "00:00:05" };
        var schedulers = await _bed.StartSchedulersAsync(settings, "s1", "s2");
        var senders = new[] { await _bed.Fleet.LogInAsync(0), await _bed.Fleet.LogInAsync(1) };
        var users = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            users.Add(await _bed.SeedRecipientAsync("R" + i));
        }

        var campaignId = Guid.NewGuid();
        await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, "failover", senders.Select(s => s.Id).ToList(), new MessageTemplate("once {{n}}"),
            new CampaignPacing(MinimumIntervalMs: 200, DailyCapPerSender: 1000)));
        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
        await _bed.SendAsync(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(),
            users.Select((u, i) => new CampaignRecipient(Recipient.Username(u)) { Variables = new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } }).ToList()));

        await Wait.UntilAsync(async () => (await _bed.StatusAsync(campaignId)).Deliveries.Sent >= 6, CampaignBed.Deadline, _bed.Describe);
        await schedulers[0].KillAsync();
        var completed = await _bed.WaitForAsync<CampaignCompleted>(e => e.CampaignId == campaignId, TimeSpan.FromSeconds(120));

        var counts = completed.Deliveries;
        Assert.That(counts.Total, Is.EqualTo(30));
        Assert.That(counts.Sent + counts.Unknown + counts.Failed, Is.EqualTo(30), "every recipient ends sent or with a recorded reason");
        var witness = await _bed.Fleet.Sim.SummaryAsync();
        Assert.That(witness.Duplicates, Is.Zero);
        var received = 0;
        foreach (var user in users)
        {
            var texts = await _bed.ReceivedAsync(user);
            Assert.That(texts, Has.Count.LessThanOrEqualTo(1), user);
            received += texts.Count;
        }

        Assert.That(received, Is.EqualTo(counts.Sent));
    }
}
