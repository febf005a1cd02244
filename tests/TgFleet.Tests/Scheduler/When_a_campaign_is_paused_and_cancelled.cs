using NUnit.Framework;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Tests.Scheduler;

[TestFixture, Category("Scheduler")]
public sealed class When_a_campaign_is_paused_and_cancelled
{
    private CampaignBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await CampaignBed.StartAsync();
        await _bed.StartSchedulersAsync(null, "s1");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task It_pauses_resumes_and_ends_with_its_pending_deliveries_unsent()
    {
        var sender = (await _bed.AccountsAsync(1))[0];
        var campaignId = Guid.NewGuid();
        // It starts in an hour: nothing is dispatched meanwhile, so every recipient is still pending.
        await _bed.SendAsync(new StartCampaign(Guid.NewGuid(), campaignId, "later", [sender], new MessageTemplate("hi"),
            new CampaignPacing(1000, 100) { StartAt = TimeProvider.System.GetUtcNow().AddHours(1) }));
        await _bed.WaitForAsync<CampaignStarted>(e => e.CampaignId == campaignId);
        var batch = new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), Enumerable.Range(1, 5).Select(i => new CampaignRecipient(Recipient.User(i))).ToList());
        await _bed.SendAsync(batch);
        await _bed.WaitForAsync<CampaignRecipientsAdded>(e => e.BatchId == batch.BatchId);

        var pause = new PauseCampaign(Guid.NewGuid(), campaignId);
        await _bed.SendAsync(pause);
        Assert.That((await _bed.WaitForAsync<CampaignPaused>(e => e.CommandId == pause.CommandId)).Reason, Is.EqualTo("OPERATOR"));
        var paused = await _bed.StatusAsync(campaignId);
        Assert.That((paused.State, paused.PausedReason), Is.EqualTo((CampaignState.Paused, "OPERATOR")));

        var resume = new ResumeCampaign(Guid.NewGuid(), campaignId);
        await _bed.SendAsync(resume);
        await _bed.WaitForAsync<CampaignResumed>(e => e.CommandId == resume.CommandId);
        Assert.That((await _bed.StatusAsync(campaignId)).State, Is.EqualTo(CampaignState.Scheduled));

        var cancel = new CancelCampaign(Guid.NewGuid(), campaignId);
        await _bed.SendAsync(cancel);
        var completed = await _bed.WaitForAsync<CampaignCompleted>(e => e.CommandId == cancel.CommandId);
        Assert.That((completed.State, completed.Reason, completed.Deliveries.Unsent, completed.Deliveries.Pending),
            Is.EqualTo((CampaignState.Cancelled, "CANCELLED", 5L, 0L)));

        var late = new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), [new CampaignRecipient(Recipient.User(99))]);
        var again = new PauseCampaign(Guid.NewGuid(), campaignId);
        await _bed.SendAsync(late);
        await _bed.SendAsync(again);
        Assert.That((await _bed.WaitForAsync<CampaignRejected>(e => e.CommandId == late.CommandId)).Reason, Is.EqualTo("CAMPAIGN_ENDED"));
        Assert.That((await _bed.WaitForAsync<CampaignRejected>(e => e.CommandId == again.CommandId)).Reason, Is.EqualTo("CAMPAIGN_ENDED"));
        Assert.That((await _bed.StatusAsync(campaignId)).Deliveries.Total, Is.EqualTo(5));
    }
}
