using NUnit.Framework;
using TgFleet.Contracts.Accounts;
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
        var refused = _bed.Published<CommandRejected>(m => m.CommandId == original.CommandId).Single();
        Assert.That((refused.Reason, refused.Field, refused.Command), Is.EqualTo(("COMMAND_ID_REUSED", "CommandId", "SendMessage")));
        Assert.That(_bed.Published<MessageFailed>(m => m.CommandId == original.CommandId), Is.Empty);
        Assert.That(sent, Has.Count.EqualTo(2), "the first delivery and the replay to the same body");
        Assert.That(sent.Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(1));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + bob.Username), Is.Empty, "nothing went to the other recipient");
        Assert.That((await _bed.Sim.ReceivedAsync("@" + alice.Username)).Length, Is.EqualTo(1));
    }

    [Test]
    public async Task A_command_of_another_kind_is_refused_the_same_way_and_its_recorded_answer_is_given_again()
    {
        // A LogOut for an account the fleet does not have: refused ACCOUNT_UNKNOWN, and that answer is its recorded outcome.
        var logOut = new LogOut(Guid.NewGuid(), "acct-nobody-" + Guid.NewGuid().ToString("N"));
        await _bed.Harness.Bus.Publish(logOut);
        await Wait.UntilAsync(() => Rejections(logOut.CommandId).Count() == 1, AccountTestBed.Deadline);

        await _bed.Harness.Bus.Publish(logOut);
        await Wait.UntilAsync(() => Rejections(logOut.CommandId).Count() == 2, AccountTestBed.Deadline);
        await _bed.Harness.Bus.Publish(logOut with { AccountId = "acct-other-" + Guid.NewGuid().ToString("N") });
        await Wait.UntilAsync(() => Rejections(logOut.CommandId).Count() == 3, AccountTestBed.Deadline);

        var answers = Rejections(logOut.CommandId).ToList();
        Assert.That(answers.Select(r => r.Reason), Is.EqualTo((string[])["ACCOUNT_UNKNOWN", "ACCOUNT_UNKNOWN", "COMMAND_ID_REUSED"]));
        Assert.That(answers[1], Is.EqualTo(answers[0]), "the same body gets the recorded answer, timestamp and all");
    }

    private IEnumerable<CommandRejected> Rejections(Guid commandId) => _bed.Published<CommandRejected>(m => m.CommandId == commandId);

    private IEnumerable<object> Outcomes(Guid commandId) =>
        _bed.Published<MessageSent>(m => m.CommandId == commandId).Cast<object>().Concat(_bed.Published<MessageFailed>(m => m.CommandId == commandId))
            .Concat(Rejections(commandId));
}
