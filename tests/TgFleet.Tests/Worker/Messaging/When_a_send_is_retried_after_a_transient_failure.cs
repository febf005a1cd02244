using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Tests.Simulator;
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
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        await _bed.Harness.Bus.Publish(new Authenticate(Guid.NewGuid(), account, phone));
        await Wait.UntilAsync(() => _bed.Published<AuthenticationStateChanged>(m => m.AccountId == account && m.State == AuthenticationState.AwaitingCode).Any(), AccountTestBed.Deadline);
        var to = await _bed.NewRecipientAsync();
        var command = new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "once, after the login");

        // Not logged in yet: "not now", not a final outcome.
        var first = (MessageFailed)await _bed.SendAsync(command);
        await _bed.Harness.Bus.Publish(new SubmitAuthenticationCode(Guid.NewGuid(), account, await _bed.Sim.CodeAsync(phone)));
        await Wait.UntilAsync(() => _bed.Published<AccountStatusChanged>(m => m.AccountId == account && m.Status == AccountStatus.Online).Any(), AccountTestBed.Deadline);
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
