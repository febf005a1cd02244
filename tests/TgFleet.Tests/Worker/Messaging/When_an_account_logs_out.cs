using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_an_account_logs_out
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Its_session_is_deleted_and_it_sends_no_more_until_it_logs_in_again()
    {
        var (account, phone) = await _bed.LogInAsync();
        await Wait.UntilAsync(async () => await _bed.Bed.SessionRowAsync(account) is not null, TimeSpan.FromSeconds(20));
        var to = await _bed.NewRecipientAsync();
        var logOut = new LogOut(Guid.NewGuid(), account);

        await _bed.Harness.Bus.Publish(logOut);
        await Wait.UntilAsync(() => _bed.Published<AccountStatusChanged>(s => s.CommandId == logOut.CommandId && s.Status == AccountStatus.LoggedOut).Any(), TimeSpan.FromSeconds(20));
        // LoggedOut is published while the log-out still runs; the account is forgotten when it has finished.
        await Wait.UntilAsync(() => _bed.Harness.Consumed.Select<LogOut>(m => m.Context.Message.CommandId == logOut.CommandId).Any(), TimeSpan.FromSeconds(20));
        var refused = (CommandRejected)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "after log-out"));

        Assert.That(await _bed.Bed.SessionRowAsync(account), Is.Null);
        Assert.That((await _bed.Bed.AccountRowAsync(account))!.Value.Status, Is.EqualTo("logged_out"));
        Assert.That(refused.Reason, Is.EqualTo("ACCOUNT_UNKNOWN"));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + to.Username), Is.Empty);

        await _bed.Harness.Bus.Publish(new Authenticate(Guid.NewGuid(), account, phone));
        await Wait.UntilAsync(() => _bed.Published<AuthenticationStateChanged>(m => m.AccountId == account && m.State == AuthenticationState.AwaitingCode).Count() == 2, TimeSpan.FromSeconds(20));
    }

    [Test]
    public async Task A_removed_account_is_forgotten()
    {
        var (account, _) = await _bed.LogInAsync();
        var remove = new RemoveAccount(Guid.NewGuid(), account);

        await _bed.Harness.Bus.Publish(remove);
        await Wait.UntilAsync(() => _bed.Published<AccountStatusChanged>(s => s.CommandId == remove.CommandId && s.Reason == "ACCOUNT_REMOVED").Any(), TimeSpan.FromSeconds(20));

        Assert.That(await _bed.Bed.AccountRowAsync(account), Is.Null);
        Assert.That(await _bed.Bed.SessionRowAsync(account), Is.Null);
        Assert.That(_bed.Registry.Find(account), Is.Null);
    }

    [Test]
    public async Task Logging_out_an_unknown_account_is_rejected()
    {
        var logOut = new LogOut(Guid.NewGuid(), "acct-nobody-" + Guid.NewGuid().ToString("N"));

        await _bed.Harness.Bus.Publish(logOut);
        await Wait.UntilAsync(() => _bed.Published<CommandRejected>(r => r.CommandId == logOut.CommandId).Any(), TimeSpan.FromSeconds(20));

        Assert.That(_bed.Published<CommandRejected>(r => r.CommandId == logOut.CommandId).Single().Reason, Is.EqualTo("ACCOUNT_UNKNOWN"));
    }
}
