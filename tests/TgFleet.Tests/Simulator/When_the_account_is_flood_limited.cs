using System.Diagnostics;
using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_the_account_is_flood_limited : SenderFixture
{
    private static readonly string[] BurstOutcomes = ["updateMessageSendSucceeded", "updateMessageSendSucceeded", "updateMessageSendFailed"];

    [Test, Order(1)]
    public async Task A_short_wait_is_waited_out_by_the_backend_and_the_send_succeeds()
    {
        var chat = await RecipientAsync("flood_short");
        await Sim.SetFaultsAsync(Phone, new AccountFaults(FloodWaitSeconds: 2));
        var clock = Stopwatch.StartNew();

        var outcome = await SendAndWaitAsync(chat, "after a short wait");

        Assert.That(TdRecorder.Type(outcome), Is.EqualTo("updateMessageSendSucceeded"));
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(1)));
        Assert.That((await Sim.ReceivedAsync("@flood_short")).Length, Is.EqualTo(1));
        Assert.That((await Sim.SummaryAsync()).SendsDuringFloodWait, Is.Zero);
    }

    [Test, Order(2)]
    public async Task A_long_wait_fails_the_send_with_429_retry_after_N()
    {
        var chat = await RecipientAsync("flood_long");
        await Sim.SetFaultsAsync(Phone, new AccountFaults(FloodWaitSeconds: 300));

        var outcome = await SendAndWaitAsync(chat, "during a long wait");

        Assert.That(TdRecorder.Type(outcome), Is.EqualTo("updateMessageSendFailed"));
        Assert.That(outcome["error"]!["code"]!.GetValue<int>(), Is.EqualTo(429));
        Assert.That(outcome["error"]!["message"]!.GetValue<string>(), Does.Match(@"^Too Many Requests: retry after (29\d|300)$"));
        Assert.That(outcome["message"]!["sending_state"]!["retry_after"]!.GetValue<double>(), Is.GreaterThan(290));
        Assert.That(await Sim.ReceivedAsync("@flood_long"), Is.Empty);
    }

    [Test, Order(3)]
    public async Task Sending_again_inside_the_window_is_counted_by_the_witness()
    {
        var chat = await RecipientAsync("flood_ignored");

        var outcome = await SendAndWaitAsync(chat, "ignoring the wait");

        Assert.That(outcome["error"]!["code"]!.GetValue<int>(), Is.EqualTo(429));
        Assert.That((await Sim.SummaryAsync()).SendsDuringFloodWait, Is.EqualTo(1));
    }

    [Test, Order(4)]
    public async Task FloodAfterSends_opens_a_window_after_that_many_sends()
    {
        await Sim.SetFaultsAsync(Phone, new AccountFaults(FloodWaitSeconds: 0));
        var chat = await RecipientAsync("flood_after");
        await Sim.SetFaultsAsync(Phone, new AccountFaults(FloodWaitSeconds: 120, FloodAfterSends: 2));

        var outcomes = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.Add(TdRecorder.Type(await SendAndWaitAsync(chat, "burst " + i)));
        }

        Assert.That(outcomes, Is.EqualTo(BurstOutcomes).AsCollection);
    }
}
