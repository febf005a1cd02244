using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Scheduler.Dispatch;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_send_is_throttled
{
    private static readonly DateTimeOffset Noon = new(2030, 1, 7, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task FLOOD_WAIT_holds_the_sender_until_RetryAfter_and_retries_under_a_new_command_id()
    {
        await using var s = await SchedulerServices.StartAsync(Noon);
        var senders = await s.AccountsAsync(1);
        var campaign = await s.CampaignAsync(senders, new CampaignPacing(0, 100), recipients: 1);
        await s.Dispatcher.DispatchDueAsync(default);
        var first = (await s.DispatchedAsync(campaign)).Single();

        await s.Outcomes.RecordAsync([new SendOutcome(first.CommandId, "FLOOD_WAIT", false, Noon.AddSeconds(30))], default);
        s.Clock.Advance(TimeSpan.FromSeconds(29));
        s.Restart();
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "inside the wait");
        s.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(1));
        var second = (await s.DispatchedAsync(campaign)).Single();

        Assert.That((second.DeliveryId, second.Attempt), Is.EqualTo((first.DeliveryId, 2)));
        Assert.That(second.CommandId, Is.Not.EqualTo(first.CommandId));
        Assert.That(second.CommandId, Is.EqualTo(DeliveryCommandIds.For(campaign, first.DeliveryId, 2)));
    }

    [Test]
    public async Task PEER_FLOOD_takes_the_sender_out_pauses_with_no_sender_left_and_resumes_when_it_is_back()
    {
        await using var s = await SchedulerServices.StartAsync(Noon, new TgFleet.Scheduler.Campaigns.CampaignOptions { ShardCount = 8, PeerFloodCooldown = TimeSpan.FromMinutes(10) });
        var senders = await s.AccountsAsync(2);
        var campaign = await s.CampaignAsync(senders, new CampaignPacing(0, 100), recipients: 4);
        await s.Dispatcher.DispatchDueAsync(default);
        var dispatched = await s.DispatchedAsync(campaign);
        var flooded = dispatched.Where(d => d.Sender == senders[0]).ToList();
        await s.Outcomes.RecordAsync(flooded.Select(d => new SendOutcome(d.CommandId, "PEER_FLOOD", false, null)).ToList(), default);
        await s.Outcomes.RecordAsync(dispatched.Where(d => d.Sender == senders[1]).Select(d => SendOutcome.Sent(d.CommandId)).ToList(), default);

        await s.Dispatcher.DispatchDueAsync(default);
        Assert.That((await s.DispatchedAsync(campaign)).Select(d => d.Sender), Is.All.EqualTo(senders[1]), "the limited sender gets nothing");
        await s.Outcomes.RecordAsync((await s.DispatchedAsync(campaign)).Select(d => new SendOutcome(d.CommandId, "PEER_FLOOD", false, null)).ToList(), default);
        await s.Lifecycle.AdvanceAsync(default);
        var paused = await s.Store.FindAsync(campaign, default);
        Assert.That((paused!.State, paused.PausedReason), Is.EqualTo(("paused", "ALL_SENDERS_LIMITED")));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero);

        s.Clock.Advance(TimeSpan.FromMinutes(10));
        s.Restart();
        await s.Lifecycle.AdvanceAsync(default);
        Assert.That((await s.Store.FindAsync(campaign, default))!.State, Is.EqualTo("running"));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(2));
        await TgFleet.Testing.Wait.UntilAsync(() => s.Events<CampaignResumed>().Any(e => e.CampaignId == campaign && e.Reason == "ALL_SENDERS_LIMITED"), TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task An_opted_out_recipient_is_skipped_in_every_campaign()
    {
        await using var s = await SchedulerServices.StartAsync(Noon);
        var senders = await s.AccountsAsync(1);
        await using (var conn = await s.Db.OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(conn, "INSERT INTO opt_outs (telegram_user_id, account_id, reason) VALUES (1000, 'someone', 'STOP')");
        }

        var first = await s.CampaignAsync(senders, new CampaignPacing(0, 100), recipients: 2);
        var second = await s.CampaignAsync(senders, new CampaignPacing(0, 100), recipients: 2);
        await s.Dispatcher.DispatchDueAsync(default);

        foreach (var campaign in new[] { first, second })
        {
            Assert.That(await s.StatesAsync(campaign), Is.EquivalentTo(new Dictionary<string, int> { ["skipped"] = 1, ["dispatched"] = 1 }));
            var row = await s.Store.FindAsync(campaign, default);
            Assert.That((row!.Skipped, row.Failed, (await s.Store.FailuresAsync(campaign, default))["RECIPIENT_OPTED_OUT"]), Is.EqualTo((1L, 0L, 1L)));
        }

        // One the scheduler cannot recognise (by username) is refused by the worker: skipped all the same.
        var dispatched = (await s.DispatchedAsync(second)).Single();
        await s.Outcomes.RecordAsync([new SendOutcome(dispatched.CommandId, "RECIPIENT_OPTED_OUT", true, null)], default);
        Assert.That(await s.StatesAsync(second), Is.EquivalentTo(new Dictionary<string, int> { ["skipped"] = 2 }));
    }
}
