using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_every_sender_hits_PEER_FLOOD
{
    // The worker's limit and the scheduler's cool-down after PEER_FLOOD, short enough to wait out.
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(6);

    private CampaignBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await CampaignBed.StartAsync();
        var cooldown = Cooldown.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        await _bed.Fleet.StartWorkersAsync(new Dictionary<string, string?> { ["Sending__PeerFloodPause"] = cooldown }, "w1");
        await _bed.StartSchedulersAsync(new Dictionary<string, string> { ["Campaigns:PeerFloodCooldown"] = cooldown }, "s1");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task The_campaign_pauses_ALL_SENDERS_LIMITED_and_resumes_by_itself_when_they_are_back()
    {
        var senders = new[] { await _bed.Fleet.LogInAsync(0), await _bed.Fleet.LogInAsync(1) };
        foreach (var sender in senders)
        {
            // Telegram limits each after its first message to a stranger.
            await _bed.Fleet.Sim.SetFaultsAsync(sender.Phone, new AccountFaults(PeerFloodAfter: 1));
        }

        var users = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            users.Add(await _bed.SeedRecipientAsync("P" + i));
        }

        var campaignId = Guid.NewGuid();
        await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, "peer-flood", senders.Select(s => s.Id).ToList(), new MessageTemplate("hello"),
            new CampaignPacing(MinimumIntervalMs: 0, DailyCapPerSender: 100)));
        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
        await _bed.SendAsync(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), users.Select(u => new CampaignRecipient(Recipient.Username(u))).ToList()));

        var paused = await _bed.WaitForAsync<CampaignPaused>(e => e.CampaignId == campaignId && e.Reason == TgFleet.Scheduler.Campaigns.CampaignReasons.AllSendersLimited);
        var status = await _bed.StatusAsync(campaignId);
        Assert.That(status.Senders.Select(s => s.State), Is.All.EqualTo("LIMITED"));
        Assert.That(status.Deliveries.Sent, Is.EqualTo(2), "each sender reached one stranger before its limit");
        Assert.That(paused.ResumesAt, Is.Not.Null);
        // Telegram lifts the limits; the campaign goes on by itself once the cool-down has passed.
        foreach (var sender in senders)
        {
            await _bed.Fleet.Sim.SetFaultsAsync(sender.Phone, new AccountFaults(PeerFloodAfter: 0));
        }

        var resumed = await _bed.WaitForAsync<CampaignResumed>(e => e.CampaignId == campaignId && e.Reason == TgFleet.Scheduler.Campaigns.CampaignReasons.AllSendersLimited);
        var completed = await _bed.WaitForAsync<CampaignCompleted>(e => e.CampaignId == campaignId);

        Assert.That(resumed.Timestamp, Is.GreaterThanOrEqualTo(paused.ResumesAt!.Value), "not before the limits end");
        Assert.That(completed.Deliveries.Sent, Is.EqualTo(6));
        foreach (var user in users)
        {
            Assert.That(await _bed.ReceivedAsync(user), Has.Count.EqualTo(1), user);
        }

        Assert.That((await _bed.Fleet.Sim.SummaryAsync()).Duplicates, Is.Zero);
    }
}
