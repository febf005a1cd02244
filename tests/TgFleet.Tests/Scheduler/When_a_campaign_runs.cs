using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_campaign_runs
{
    private CampaignBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await CampaignBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Every_recipient_gets_its_message_once_and_the_campaign_completes()
    {
        await _bed.Fleet.StartWorkersAsync("w1");
        await _bed.StartSchedulersAsync(null, "s1");
        var sender = await _bed.Fleet.LogInAsync(0);
        var names = new[] { "Ann", "Bob", "Cid" };
        var users = new List<string>();
        foreach (var name in names)
        {
            users.Add(await _bed.SeedRecipientAsync(name));
        }

        var campaignId = Guid.NewGuid();
        await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, "welcome", [sender.Id], new MessageTemplate("Hi {{name}}!"),
            new CampaignPacing(MinimumIntervalMs: 0, DailyCapPerSender: 100)));
        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
        var recipients = users.Select((u, i) => new CampaignRecipient(Recipient.Username("@" + u)) { Variables = new Dictionary<string, string> { ["name"] = names[i] } })
            .Append(new CampaignRecipient(Recipient.Username(users[0].ToUpperInvariant())))   // the same as the first
            .Append(new CampaignRecipient(Recipient.Username("x")))                           // malformed
            .ToList();
        var batch = new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), recipients);
        await _bed.SendAsync(batch);
        await _bed.SendAsync(batch);   // redelivered: adds nothing

        var completed = await _bed.WaitForAsync<CampaignCompleted>(e => e.CampaignId == campaignId);

        var added = _bed.Events<CampaignRecipientsAdded>().Where(e => e.BatchId == batch.BatchId).ToList();
        Assert.That(added, Has.Count.EqualTo(2));
        Assert.That(added.Select(a => (a.Accepted, a.Duplicates, a.RejectedCount)), Is.All.EqualTo((3, 1, 1)));
        Assert.That(added[0].Rejected.Single(), Is.EqualTo(new RecipientRejection(4, "To.Value", "RECIPIENT_MALFORMED")));
        Assert.That(completed.Reason, Is.EqualTo("ALL_DELIVERED"));
        Assert.That(completed.Deliveries, Is.EqualTo(new DeliveryCounts(3, 0, 0, 3, 0, 0, 0, 0)));
        for (var i = 0; i < users.Count; i++)
        {
            Assert.That(await _bed.ReceivedAsync(users[i]), Is.EqualTo(new[] { $"Hi {names[i]}!" }), users[i]);
        }

        Assert.That(_bed.Events<CampaignProgress>().Where(p => p.CampaignId == campaignId).Select(p => p.Sent), Is.Not.Empty.And.Ordered);
        var status = await _bed.StatusAsync(campaignId);
        Assert.That((status.State, status.Deliveries.Sent, status.Senders.Single().AccountId), Is.EqualTo((CampaignState.Completed, 3L, sender.Id)));
        var witness = await _bed.Fleet.Sim.SummaryAsync();
        Assert.That(witness.Duplicates, Is.Zero);
    }
}
