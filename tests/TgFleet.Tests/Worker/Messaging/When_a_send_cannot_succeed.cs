using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_a_send_cannot_succeed
{
    private SendingBed _bed = null!;
    private string _account = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await SendingBed.StartAsync();
        (_account, _) = await _bed.LogInAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    private async Task<MessageFailed> FailAsync(Recipient to, string text = "hello", string? account = null) =>
        (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account ?? _account, to, text));

    [Test]
    public async Task An_unknown_username_fails_permanently_with_Telegrams_reason()
    {
        var failed = await FailAsync(Recipient.Username("nobody_" + Guid.NewGuid().ToString("N")[..8]));

        Assert.That((failed.Reason, failed.Permanent), Is.EqualTo(("USERNAME_NOT_OCCUPIED", true)));
    }

    [Test]
    public async Task A_phone_nobody_uses_fails_as_recipient_not_found()
    {
        var failed = await FailAsync(Recipient.Phone("+4479" + Random.Shared.Next(10_000_000, 99_999_999)));

        Assert.That((failed.Reason, failed.Permanent), Is.EqualTo(("RECIPIENT_NOT_FOUND", true)));
    }

    [Test]
    public async Task A_user_id_the_account_never_saw_fails_as_recipient_unknown()
    {
        var stranger = await _bed.NewRecipientAsync();

        var failed = await FailAsync(Recipient.User(stranger.UserId));

        Assert.That((failed.Reason, failed.Permanent), Is.EqualTo(("RECIPIENT_UNKNOWN", true)));
        Assert.That(failed.Detail, Does.Contain("username or phone"));
    }

    [Test]
    public async Task A_recipient_whose_privacy_forbids_it_fails_permanently_and_receives_nothing()
    {
        var shy = await _bed.NewRecipientAsync(privacyRestricted: true);

        var failed = await FailAsync(Recipient.Username(shy.Username));

        Assert.That((failed.Reason, failed.Permanent), Is.EqualTo(("USER_PRIVACY_RESTRICTED", true)));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + shy.Username), Is.Empty);
    }

    [Test]
    public async Task An_account_the_fleet_does_not_run_is_refused_as_account_unknown()
    {
        var to = await _bed.NewRecipientAsync();
        var send = new SendMessage(Guid.NewGuid(), "acct-nobody-" + Guid.NewGuid().ToString("N"), Recipient.Username(to.Username), "hi");

        await _bed.Harness.Bus.Publish(send);
        await Wait.UntilAsync(() => _bed.Published<CommandRejected>(r => r.CommandId == send.CommandId).Any(), TimeSpan.FromSeconds(20));

        var refused = _bed.Published<CommandRejected>(r => r.CommandId == send.CommandId).Single();
        Assert.That((refused.Field, refused.Reason, refused.Command), Is.EqualTo(("AccountId", "ACCOUNT_UNKNOWN", "SendMessage")));
        Assert.That(_bed.Published<MessageFailed>(m => m.CommandId == send.CommandId), Is.Empty, "one reason, one event type");
    }

    [Test]
    public async Task Bad_input_is_rejected_naming_the_field_and_nothing_is_sent()
    {
        var to = await _bed.NewRecipientAsync();
        var empty = new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), " ");
        var noRecipient = new SendMessage(Guid.NewGuid(), _account, null!, "hi");

        await _bed.Harness.Bus.Publish(empty);
        await _bed.Harness.Bus.Publish(noRecipient);
        await Wait.UntilAsync(() => _bed.Published<CommandRejected>(r => r.CommandId == empty.CommandId || r.CommandId == noRecipient.CommandId).Count() == 2, TimeSpan.FromSeconds(20));

        Assert.That(_bed.Published<CommandRejected>(r => r.CommandId == empty.CommandId).Single().Reason, Is.EqualTo("TEXT_EMPTY"));
        Assert.That(_bed.Published<CommandRejected>(r => r.CommandId == noRecipient.CommandId).Single().Field, Is.EqualTo("To"));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + to.Username), Is.Empty);
    }
}
