using MassTransit;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Messaging;
using TgFleet.Scheduler.Campaigns;
using TgFleet.Scheduler.Dispatch;
using TgFleet.Testing;

namespace TgFleet.Tests.Scheduler;

/// <summary>The workers' CommandRejected answers to the scheduler's SendMessage, through the scheduler's own batch consumer on the broker.</summary>
[TestFixture, Category("Scheduler")]
public sealed class When_a_send_is_rejected
{
    private static readonly DateTimeOffset Noon = new(2030, 1, 7, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task A_not_now_rejection_is_retried_under_a_new_command_id_and_a_permanent_one_fails_the_delivery()
    {
        var options = new CampaignOptions { ShardCount = 8 };
        await using var s = await SchedulerServices.StartAsync(Noon, options);
        var senders = await s.AccountsAsync(1);
        var campaign = await s.CampaignAsync(senders, new CampaignPacing(0, 100), recipients: 2);
        await s.Dispatcher.DispatchDueAsync(default);
        var dispatched = await s.DispatchedAsync(campaign);
        Assert.That(dispatched, Has.Count.EqualTo(2));
        var (notNow, permanent) = (dispatched[0], dispatched[1]);

        var workers = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(s.VirtualHost.AmqpUri);
            cfg.ReceiveEndpoint("scheduler-rejections-under-test", e => e.Consumer(() => new SendRejectedBatchConsumer(s.Outcomes),
                c => c.Options<BatchOptions>(o => o.SetMessageLimit(10).SetTimeLimit(TimeSpan.FromMilliseconds(50)))));
        });
        await workers.StartAsync(TimeSpan.FromSeconds(30));
        try
        {
            await workers.Publish(new CommandRejected(notNow.CommandId, senders[0], nameof(SendMessage), "AccountId", "ACCOUNT_NOT_READY", Noon) { Permanent = false });
            await workers.Publish(new CommandRejected(permanent.CommandId, senders[0], nameof(SendMessage), "Text", "TEXT_TOO_LONG", Noon));
            await Wait.UntilAsync(async () => !(await s.StatesAsync(campaign)).ContainsKey("dispatched"), TimeSpan.FromSeconds(30));
        }
        finally
        {
            await workers.StopAsync(TimeSpan.FromSeconds(30));
        }

        Assert.That(await s.StatesAsync(campaign), Is.EquivalentTo(new Dictionary<string, int> { ["pending"] = 1, ["failed"] = 1 }));
        Assert.That(await s.Store.FailuresAsync(campaign, default), Is.EquivalentTo(new Dictionary<string, long> { ["TEXT_TOO_LONG"] = 1 }));
        s.Clock.Advance(options.RetryDelay);
        s.Restart();
        Assert.That(await s.Dispatcher.DispatchDueAsync(default), Is.EqualTo(1));
        var retry = (await s.DispatchedAsync(campaign)).Single();
        Assert.That((retry.DeliveryId, retry.Attempt), Is.EqualTo((notNow.DeliveryId, 2)));
        Assert.That(retry.CommandId, Is.EqualTo(DeliveryCommandIds.For(campaign, notNow.DeliveryId, 2)));
    }
}
