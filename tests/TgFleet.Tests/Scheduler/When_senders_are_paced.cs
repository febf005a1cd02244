using NUnit.Framework;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_senders_are_paced
{
    // A Monday noon in UTC, far from any day boundary.
    private static readonly DateTimeOffset Noon = new(2030, 1, 7, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task Each_sender_waits_its_interval_and_stops_at_its_daily_cap_across_restarts()
    {
        await using var s = await SchedulerServices.StartAsync(Noon);
        var senders = await s.AccountsAsync(2);
        var campaign = await s.CampaignAsync(senders, new CampaignPacing(MinimumIntervalMs: 60_000, DailyCapPerSender: 3), recipients: 10);

        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(2), "one per sender");
        Assert.That((await s.DispatchedAsync(campaign)).Select(d => d.Sender), Is.EquivalentTo(senders));
        s.Restart();
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "the interval holds after a restart");
        s.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "not before the interval");
        s.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(2));
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(2));
        s.Clock.Advance(TimeSpan.FromMinutes(1));
        s.Restart();
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "three each: the daily cap, after a restart");
        s.Clock.Advance(TimeSpan.FromHours(6));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "still the same day");
        s.Clock.Now = new DateTimeOffset(2030, 1, 8, 0, 0, 1, TimeSpan.Zero);
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(2), "a new day, a new cap");
        Assert.That((await s.StatesAsync(campaign))["dispatched"], Is.EqualTo(8));
    }

    [Test]
    public async Task Quiet_hours_in_the_campaigns_time_zone_pause_and_resume_it()
    {
        // 22:00 to 08:00 in New York (UTC-5 in January): 03:00 UTC is 22:00 there.
        await using var s = await SchedulerServices.StartAsync(new DateTimeOffset(2030, 1, 8, 3, 30, 0, TimeSpan.Zero));
        var senders = await s.AccountsAsync(1);
        var campaign = await s.CampaignAsync(senders, new CampaignPacing(0, 100) { QuietHours = new QuietHours("22:00", "08:00", "America/New_York") }, recipients: 5);

        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "22:30 in New York");
        await s.Lifecycle.AdvanceAsync(default);
        Assert.That((await s.Store.FindAsync(campaign, default))!.PausedReason, Is.EqualTo("QUIET_HOURS"));
        s.Clock.Now = new DateTimeOffset(2030, 1, 8, 12, 59, 0, TimeSpan.Zero);   // 07:59 there
        s.Restart();
        await s.Lifecycle.AdvanceAsync(default);
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "07:59, still quiet, after a restart");
        s.Clock.Now = new DateTimeOffset(2030, 1, 8, 13, 0, 0, TimeSpan.Zero);    // 08:00 there
        await s.Lifecycle.AdvanceAsync(default);
        var row = await s.Store.FindAsync(campaign, default);
        Assert.That(row!.State, Is.EqualTo("running"));
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(5));
        await TgFleet.Testing.Wait.UntilAsync(() => s.Events<CampaignResumed>().Any(e => e.CampaignId == campaign && e.Reason == "QUIET_HOURS"), TimeSpan.FromSeconds(30));
        Assert.That(s.Events<CampaignPaused>().Single(e => e.CampaignId == campaign).ResumesAt, Is.EqualTo(new DateTimeOffset(2030, 1, 8, 13, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public async Task Nothing_is_sent_after_the_deadline_and_the_rest_ends_unsent()
    {
        await using var s = await SchedulerServices.StartAsync(Noon);
        var senders = await s.AccountsAsync(1);
        var campaign = await s.CampaignAsync(senders, new CampaignPacing(60_000, 100) { Deadline = Noon.AddMinutes(2) }, recipients: 5);

        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(1));
        await s.Outcomes.RecordAsync([TgFleet.Scheduler.Dispatch.SendOutcome.Sent((await s.DispatchedAsync(campaign))[0].CommandId)], default);
        s.Clock.Advance(TimeSpan.FromMinutes(2));
        s.Restart();
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.Zero, "at the deadline");
        await s.Lifecycle.AdvanceAsync(default);

        Assert.That(await s.StatesAsync(campaign), Is.EquivalentTo(new Dictionary<string, int> { ["sent"] = 1, ["unsent"] = 4 }));
        var row = await s.Store.FindAsync(campaign, default);
        Assert.That((row!.State, row.EndReason, row.Unsent), Is.EqualTo(("completed", "DEADLINE_PASSED", 4L)));
        await TgFleet.Testing.Wait.UntilAsync(() => s.Events<CampaignCompleted>().Any(e => e.CampaignId == campaign), TimeSpan.FromSeconds(30));
    }
}
