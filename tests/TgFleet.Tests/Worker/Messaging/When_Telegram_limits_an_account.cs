using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_Telegram_limits_an_account
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task A_FLOOD_WAIT_pauses_the_account_and_nothing_is_sent_inside_the_window()
    {
        var (account, phone) = await _bed.LogInAsync();
        var to = await _bed.NewRecipientAsync();
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(FloodWaitSeconds: 300));

        var first = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "one"));
        var second = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "two"));

        Assert.That((first.Reason, first.Permanent), Is.EqualTo(("FLOOD_WAIT", false)));
        Assert.That(first.RetryAfter, Is.EqualTo(TimeProvider.System.GetUtcNow().AddSeconds(300)).Within(TimeSpan.FromSeconds(10)));
        Assert.That((second.Reason, second.RetryAfter), Is.EqualTo(("FLOOD_WAIT", first.RetryAfter)), "refused by the worker, not by Telegram");
        var status = _bed.Published<AccountStatusChanged>(s => s.AccountId == account && s.Status == AccountStatus.FloodWait).Single();
        Assert.That(status.Until, Is.EqualTo(first.RetryAfter));
        var witness = await _bed.Sim.SummaryAsync();
        Assert.That(witness.SendsDuringFloodWait, Is.Zero);
        Assert.That(await _bed.Sim.ReceivedAsync("@" + to.Username), Is.Empty);
        var row = await _bed.Bed.AccountRowAsync(account);
        Assert.That(row!.Value.Status, Is.EqualTo("flood_wait"));
    }

    [Test]
    public async Task A_FLOOD_WAIT_outlives_the_accounts_move_to_another_runtime()
    {
        var (account, phone) = await _bed.LogInAsync();
        var to = await _bed.NewRecipientAsync();
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(FloodWaitSeconds: 300));
        var first = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "one"));
        var lease = new TgFleet.Worker.Sharding.ShardLease(_bed.Registry.ShardOf(account), TgFleet.Tests.Worker.Accounts.AccountTestBed.LeaseEpoch);

        // The shard is handed over (here: back to a fresh runtime on the same registry).
        await _bed.Registry.StopShardAsync(lease, graceful: true, CancellationToken.None);
        await _bed.Registry.StartShardAsync(lease, CancellationToken.None);
        await TgFleet.Testing.Wait.UntilAsync(() => _bed.Registry.Find(account)?.State == AuthenticationState.Ready, TimeSpan.FromSeconds(20));
        var second = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "two"));

        Assert.That(first.Reason, Is.EqualTo("FLOOD_WAIT"));
        Assert.That((second.Reason, second.RetryAfter), Is.EqualTo(("FLOOD_WAIT", first.RetryAfter)).Using<(string, DateTimeOffset?)>((a, b) =>
            a.Item1 == b.Item1 && a.Item2.HasValue && b.Item2.HasValue && Math.Abs((a.Item2.Value - b.Item2.Value).TotalSeconds) < 1));
        Assert.That((await _bed.Sim.SummaryAsync()).SendsDuringFloodWait, Is.Zero);
        Assert.That(await _bed.Sim.ReceivedAsync("@" + to.Username), Is.Empty);
    }

    [Test]
    public async Task PEER_FLOOD_limits_the_account_to_its_contacts()
    {
        var (account, phone) = await _bed.LogInAsync();
        var first = await _bed.NewRecipientAsync();
        var second = await _bed.NewRecipientAsync();
        var third = await _bed.NewRecipientAsync();
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(PeerFloodAfter: 1));

        Assert.That(await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(third.Username), "hi")), Is.TypeOf<MessageSent>());
        var failed = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(first.Username), "hi"));
        var refused = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(second.Username), "hi"));

        Assert.That((failed.Reason, failed.Permanent), Is.EqualTo(("PEER_FLOOD", false)));
        Assert.That(refused.Reason, Is.EqualTo("PEER_FLOOD"));
        Assert.That(refused.Detail, Does.Contain("only its contacts"));
        Assert.That(_bed.Published<AccountStatusChanged>(s => s.AccountId == account && s.Status == AccountStatus.Limited).Single().Reason, Is.EqualTo("PEER_FLOOD"));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + second.Username), Is.Empty);
    }

    [Test]
    public async Task A_banned_account_reports_banned_and_its_sends_fail_permanently()
    {
        var (account, phone) = await _bed.LogInAsync();
        var to = await _bed.NewRecipientAsync();
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(Banned: true));

        var failed = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "hi"));

        Assert.That((failed.Reason, failed.Permanent), Is.EqualTo(("USER_DEACTIVATED_BAN", true)));
        await TgFleet.Testing.Wait.UntilAsync(() => _bed.Published<AccountStatusChanged>(s => s.AccountId == account && s.Status == AccountStatus.Banned).Any(), TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        Assert.That(_bed.Published<AccountStatusChanged>(s => s.AccountId == account).Last().Status, Is.EqualTo(AccountStatus.Banned), "the log-out that follows a ban does not hide it");
    }
}
