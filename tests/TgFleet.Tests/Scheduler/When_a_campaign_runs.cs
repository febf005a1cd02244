using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_campaign_runs
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
    public async Task Every_recipient_gets_its_message_once_and_the_campaign_completes()
    {
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

    [Test]
    public async Task A_recipient_who_sent_STOP_is_skipped_as_RECIPIENT_OPTED_OUT_in_every_campaign()
    {
        var sender = await _bed.Fleet.LogInAsync(1);
        var stopper = await _bed.Fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), "Stan", Username: "s" + Guid.NewGuid().ToString("N")[..12]));
        await _bed.Fleet.Sim.InjectAsync("@" + stopper.Username, sender.Phone, "STOP");
        await Wait.UntilAsync(async () =>
        {
            await using var conn = await _bed.Fleet.Db.OpenConnectionAsync();
            return await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn, "SELECT count(*) FROM opt_outs WHERE telegram_user_id = @Id", new { Id = stopper.UserId }) == 1;
        }, CampaignBed.Deadline, _bed.Describe);
        var others = new[] { await _bed.SeedRecipientAsync("Ona"), await _bed.SeedRecipientAsync("Two") };

        // One campaign names the recipient by user id (the scheduler skips it), the other by username (its worker refuses it).
        var byUserId = Guid.NewGuid();
        var byUsername = Guid.NewGuid();
        foreach (var (campaignId, to, other) in new[] { (byUserId, Recipient.User(stopper.UserId), others[0]), (byUsername, Recipient.Username(stopper.Username!), others[1]) })
        {
            await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, "respect", [sender.Id], new MessageTemplate("news"),
                new CampaignPacing(MinimumIntervalMs: 0, DailyCapPerSender: 100)));
            await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
            await _bed.SendAsync(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), [new CampaignRecipient(to), new CampaignRecipient(Recipient.Username(other))]));
        }

        foreach (var campaignId in new[] { byUserId, byUsername })
        {
            var completed = await _bed.WaitForAsync<CampaignCompleted>(e => e.CampaignId == campaignId);
            Assert.That((completed.Deliveries.Sent, completed.Deliveries.Skipped, completed.Deliveries.Failed), Is.EqualTo((1L, 1L, 0L)), campaignId.ToString());
            var status = await _bed.StatusAsync(campaignId);
            Assert.That(status.Failures, Is.EquivalentTo(new Dictionary<string, long> { ["RECIPIENT_OPTED_OUT"] = 1 }));
        }

        Assert.That(await _bed.Fleet.Sim.ReceivedAsync("@" + stopper.Username), Is.Empty);
        Assert.That((await _bed.Fleet.Sim.SummaryAsync()).SendsToOptedOut, Is.Zero);
    }
}
