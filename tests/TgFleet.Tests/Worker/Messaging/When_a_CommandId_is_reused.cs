using NUnit.Framework;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Accounts;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_a_CommandId_is_reused
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Another_body_is_refused_COMMAND_ID_REUSED_and_the_same_body_gets_the_recorded_outcome()
    {
        var (account, _) = await _bed.LogInAsync();
        var alice = await _bed.NewRecipientAsync();
        var bob = await _bed.NewRecipientAsync();
        var original = new SendMessage(Guid.NewGuid(), account, Recipient.Username(alice.Username), "for alice");
        await _bed.Harness.Bus.Publish(original);
        await Wait.UntilAsync(() => Outcomes(original.CommandId).Count() == 1, AccountTestBed.Deadline);

        await _bed.Harness.Bus.Publish(original with { To = Recipient.Username(bob.Username), Text = "for bob" });
        await Wait.UntilAsync(() => Outcomes(original.CommandId).Count() == 2, AccountTestBed.Deadline);
        await _bed.Harness.Bus.Publish(original);
        await Wait.UntilAsync(() => Outcomes(original.CommandId).Count() == 3, AccountTestBed.Deadline);

        var sent = _bed.Published<MessageSent>(m => m.CommandId == original.CommandId).ToList();
        var refused = _bed.Published<MessageFailed>(m => m.CommandId == original.CommandId).Single();
        Assert.That((refused.Reason, refused.Permanent), Is.EqualTo(("COMMAND_ID_REUSED", true)));
        Assert.That(sent, Has.Count.EqualTo(2), "the first delivery and the replay to the same body");
        Assert.That(sent.Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(1));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + bob.Username), Is.Empty, "nothing went to the other recipient");
        Assert.That((await _bed.Sim.ReceivedAsync("@" + alice.Username)).Length, Is.EqualTo(1));
    }

    private IEnumerable<object> Outcomes(Guid commandId) =>
        _bed.Published<MessageSent>(m => m.CommandId == commandId).Cast<object>().Concat(_bed.Published<MessageFailed>(m => m.CommandId == commandId));
}
