using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_campaign_command_is_invalid
{
    private CampaignBed _bed = null!;
    private string _sender = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await CampaignBed.StartAsync();
        await _bed.StartSchedulersAsync(null, "s1");
        _sender = (await _bed.AccountsAsync(1))[0];
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    private static IEnumerable<TestCaseData> BadStarts()
    {
        var pacing = new CampaignPacing(1000, 100);
        yield return new TestCaseData(pacing with { QuietHours = new QuietHours("22:00", "08:00", "Mars/Olympus") }, "Pacing.QuietHours.TimeZone", "TIME_ZONE_UNKNOWN")
            .SetName("A_time_zone_that_is_not_IANA");
        yield return new TestCaseData(pacing with { QuietHours = new QuietHours("25:00", "08:00", "UTC") }, "Pacing.QuietHours.Start", "TIME_MALFORMED")
            .SetName("A_quiet_hour_that_is_no_time");
        yield return new TestCaseData(new CampaignPacing(-1, 100), "Pacing.MinimumIntervalMs", "OUT_OF_RANGE").SetName("A_negative_interval");
        yield return new TestCaseData(new CampaignPacing(1000, 0), "Pacing.DailyCapPerSender", "OUT_OF_RANGE").SetName("A_daily_cap_of_zero");
        yield return new TestCaseData(pacing with { Deadline = TimeProvider.System.GetUtcNow().AddHours(-1) }, "Pacing.Deadline", "DEADLINE_PASSED").SetName("A_deadline_in_the_past");
    }

    [TestCaseSource(nameof(BadStarts))]
    public async Task StartCampaign_is_rejected_with_field_and_reason(CampaignPacing pacing, string field, string reason)
    {
        var command = new StartCampaign(Guid.NewGuid(), Guid.NewGuid(), "bad", [_sender], new MessageTemplate("hi"), pacing);
        await _bed.SendAsync(command);

        var rejected = await _bed.WaitForAsync<CampaignRejected>(e => e.CommandId == command.CommandId);
        Assert.That((rejected.Command, rejected.Field, rejected.Reason), Is.EqualTo(("StartCampaign", field, reason)));
        Assert.That(_bed.Events<CampaignStarted>().Any(e => e.CampaignId == command.CampaignId), Is.False);
    }

    [Test]
    public async Task A_sender_the_fleet_does_not_know_is_rejected()
    {
        var command = new StartCampaign(Guid.NewGuid(), Guid.NewGuid(), "ghost", [_sender, "acct-nobody"], new MessageTemplate("hi"), new CampaignPacing(1000, 100));
        await _bed.SendAsync(command);

        var rejected = await _bed.WaitForAsync<CampaignRejected>(e => e.CommandId == command.CommandId);
        Assert.That((rejected.Field, rejected.Reason), Is.EqualTo(("SenderAccountIds", "ACCOUNT_UNKNOWN")));
    }

    [Test]
    public async Task A_batch_of_more_than_ten_thousand_and_one_for_no_campaign_are_rejected()
    {
        var start = new StartCampaign(Guid.NewGuid(), Guid.NewGuid(), "big", [_sender], new MessageTemplate("hi"), new CampaignPacing(1000, 100));
        await _bed.SendAsync(start);
        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == start.CampaignId);
        var tooMany = new AddCampaignRecipients(Guid.NewGuid(), start.CampaignId, Guid.NewGuid(),
            Enumerable.Range(1, 10_001).Select(i => new CampaignRecipient(Recipient.User(i))).ToList());
        var orphan = new AddCampaignRecipients(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), [new CampaignRecipient(Recipient.User(1))]);
        await _bed.SendAsync(tooMany);
        await _bed.SendAsync(orphan);

        var big = await _bed.WaitForAsync<CampaignRejected>(e => e.CommandId == tooMany.CommandId);
        var none = await _bed.WaitForAsync<CampaignRejected>(e => e.CommandId == orphan.CommandId);
        Assert.That((big.Field, big.Reason), Is.EqualTo(("Recipients", "TOO_MANY_RECIPIENTS")));
        Assert.That((none.Field, none.Reason), Is.EqualTo(("CampaignId", "CAMPAIGN_UNKNOWN")));
        Assert.That((await _bed.StatusAsync(start.CampaignId)).Deliveries.Total, Is.Zero);
    }
}
