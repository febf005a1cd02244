using NUnit.Framework;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Accounts;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_a_send_is_retried_after_a_transient_failure
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task The_retry_under_the_same_CommandId_sends_it_once()
    {
        var (account, phone) = await _bed.StartLoginAsync();
        var to = await _bed.NewRecipientAsync();
        var command = new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "once, after the login");

        // Not logged in yet: "not now", not a final outcome.
        var first = (MessageFailed)await _bed.SendAsync(command);
        await _bed.SubmitCodeAsync(account, phone);
        await _bed.Harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Sent(command.CommandId).Any(), AccountTestBed.Deadline);
        await _bed.Harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Sent(command.CommandId).Count() == 2, AccountTestBed.Deadline);

        Assert.That((first.Reason, first.Permanent), Is.EqualTo(("ACCOUNT_NOT_READY", false)));
        Assert.That(Sent(command.CommandId).Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(1), "the third delivery replays the retry's recorded outcome");
        Assert.That(_bed.Published<MessageFailed>(m => m.CommandId == command.CommandId).Count(), Is.EqualTo(1));
        var received = await _bed.Sim.ReceivedAsync("@" + to.Username);
        Assert.That(received.Count(m => m.Text == "once, after the login"), Is.EqualTo(1), "the witness: sent once");
    }

    private IEnumerable<MessageSent> Sent(Guid commandId) => _bed.Published<MessageSent>(m => m.CommandId == commandId);
}
