using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_a_recipient_replies : SenderFixture
{
    [Test]
    public async Task The_reply_arrives_as_updateNewMessage_and_later_sends_to_an_opted_out_user_are_counted()
    {
        var chat = await RecipientAsync("says_stop", replies: [new ScriptedReply("STOP", 100)]);
        var before = (await Sim.SummaryAsync()).SendsToOptedOut;

        Assert.That(TdRecorder.Type(await SendAndWaitAsync(chat, "Our offer")), Is.EqualTo("updateMessageSendSucceeded"));
        var reply = await Td.WaitForUpdateAsync(Client, "updateNewMessage", o => o["message"]!["is_outgoing"]!.GetValue<bool>() == false && o["message"]!["chat_id"]!.GetValue<long>() == chat);

        Assert.That(reply["message"]!["content"]!["text"]!["text"]!.GetValue<string>(), Is.EqualTo("STOP"));
        Assert.That(reply["message"]!["sender_id"]!["user_id"]!.GetValue<long>(), Is.EqualTo(chat));
        Assert.That((await Sim.SummaryAsync()).SendsToOptedOut, Is.EqualTo(before));

        await SendAndWaitAsync(chat, "Ignoring the opt-out");
        Assert.That((await Sim.SummaryAsync()).SendsToOptedOut, Is.EqualTo(before + 1));
    }

    [Test]
    public async Task An_unsubscribe_word_inside_a_sentence_also_opts_out()
    {
        var chat = await RecipientAsync("says_unsub", replies: [new ScriptedReply("please unsubscribe me", 50)]);
        var before = (await Sim.SummaryAsync()).SendsToOptedOut;

        await SendAndWaitAsync(chat, "Hello");
        await Td.WaitForUpdateAsync(Client, "updateNewMessage", o => o["message"]!["is_outgoing"]!.GetValue<bool>() == false && o["message"]!["chat_id"]!.GetValue<long>() == chat);
        await SendAndWaitAsync(chat, "Hello again");

        Assert.That((await Sim.SummaryAsync()).SendsToOptedOut, Is.EqualTo(before + 1));
    }

    [Test]
    public async Task A_message_sent_twice_with_the_same_text_is_counted_as_a_duplicate()
    {
        var chat = await RecipientAsync("gets_twice");
        var before = (await Sim.SummaryAsync()).Duplicates;

        await SendAndWaitAsync(chat, "Once only");
        await SendAndWaitAsync(chat, "Once only");

        Assert.That((await Sim.SummaryAsync()).Duplicates, Is.EqualTo(before + 1));
        Assert.That((await Sim.ReceivedAsync("@gets_twice")).Length, Is.EqualTo(2));
    }
}
