using NUnit.Framework;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_a_recipient_opts_out
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task No_account_of_the_fleet_messages_them_again()
    {
        var (first, _) = await _bed.LogInAsync();
        var (second, _) = await _bed.LogInAsync();
        var to = await _bed.NewRecipientAsync(replies: [new ScriptedReply("Please STOP writing to me", 0)]);

        Assert.That(await _bed.SendAsync(new SendMessage(Guid.NewGuid(), first, Recipient.Username(to.Username), "offer")), Is.TypeOf<MessageSent>());
        await Wait.UntilAsync(() => _bed.Published<IncomingMessageReceived>(m => m.AccountId == first && m.SenderUserId == to.UserId).Any(), TimeSpan.FromSeconds(20));
        var again = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), first, Recipient.Username(to.Username), "offer again"));
        var other = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), second, Recipient.Username(to.Username), "from another account"));

        Assert.That((again.Reason, again.Permanent), Is.EqualTo(("RECIPIENT_OPTED_OUT", true)));
        Assert.That(other.Reason, Is.EqualTo("RECIPIENT_OPTED_OUT"));
        Assert.That((await _bed.Sim.SummaryAsync()).SendsToOptedOut, Is.Zero);
        Assert.That(Texts(await _bed.Sim.ReceivedAsync("@" + to.Username)), Is.EqualTo(string.Join("|", "offer")));
    }

    private static string Texts(IEnumerable<TgFleet.Simulator.ReceivedMessage> received) => string.Join("|", received.Select(m => m.Text));
}
