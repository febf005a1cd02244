using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_an_account_messages_too_many_strangers : SenderFixture
{
    [Test]
    public async Task It_gets_PEER_FLOOD_after_the_configured_number_and_contacts_still_work()
    {
        await Sim.SetFaultsAsync(Phone, new AccountFaults(PeerFloodAfter: 2));
        var first = await RecipientAsync("stranger_one");
        var second = await RecipientAsync("stranger_two");
        var third = await RecipientAsync("stranger_three");

        Assert.That(TdRecorder.Type(await SendAndWaitAsync(first, "hello 1")), Is.EqualTo("updateMessageSendSucceeded"));
        Assert.That(TdRecorder.Type(await SendAndWaitAsync(second, "hello 2")), Is.EqualTo("updateMessageSendSucceeded"));
        var refused = await SendAndWaitAsync(third, "hello 3");

        Assert.That(refused["error"]!["code"]!.GetValue<int>(), Is.EqualTo(400));
        Assert.That(refused["error"]!["message"]!.GetValue<string>(), Is.EqualTo("PEER_FLOOD"));
        Assert.That(TdRecorder.Type(await SendAndWaitAsync(first, "again to someone already talked to")), Is.EqualTo("updateMessageSendSucceeded"));
    }
}
