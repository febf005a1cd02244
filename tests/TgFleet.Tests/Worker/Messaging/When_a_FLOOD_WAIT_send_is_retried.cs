using Dapper;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Accounts;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Messaging;

/// <summary>
/// Telegram answers a send that TDLib already has with FLOOD_WAIT: that is "not now", not the
/// command's outcome (docs/messaging.md, "Transient or final"), so the upstream's retry under the
/// same CommandId after the wait sends it, once.
/// </summary>
[TestFixture, Category("Worker")]
public sealed class When_a_FLOOD_WAIT_send_is_retried
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task The_retry_after_the_wait_sends_it_once()
    {
        var (account, phone) = await _bed.LogInAsync();
        var to = await _bed.NewRecipientAsync();
        // Longer than TDLib waits out by itself: the send fails with 429 after the hand-off.
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(FloodWaitSeconds: 120));
        var command = new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "once, after the wait");
        var first = (MessageFailed)await _bed.SendAsync(command);

        // The wait ends: at Telegram, and in the account's record of it (standing in for two minutes).
        await _bed.Sim.SetFaultsAsync(phone, new AccountFaults(FloodWaitSeconds: 0));
        await EndRecordedWaitAsync(account);
        await _bed.Harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Sent(command.CommandId).Any(), AccountTestBed.Deadline);
        await _bed.Harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Sent(command.CommandId).Count() == 2, AccountTestBed.Deadline);

        Assert.That((first.Reason, first.Permanent, first.RetryAfter.HasValue), Is.EqualTo(("FLOOD_WAIT", false, true)));
        Assert.That(Sent(command.CommandId).Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(1), "the third delivery replays the retry's recorded outcome");
        var received = await _bed.Sim.ReceivedAsync("@" + to.Username);
        Assert.That(received.Count(m => m.Text == "once, after the wait"), Is.EqualTo(1), "the witness: sent once");
    }

    /// <summary>Moves the account's recorded FLOOD_WAIT into the past and gives the account a new runtime, which reads it.</summary>
    private async Task EndRecordedWaitAsync(string account)
    {
        await using (var conn = await _bed.Bed.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("UPDATE accounts SET flood_wait_until = now() - interval '1 second' WHERE account_id = @Account", new { Account = account });
        }

        var lease = new ShardLease(_bed.Registry.ShardOf(account), AccountTestBed.LeaseEpoch);
        await _bed.Registry.StopShardAsync(lease, graceful: true, CancellationToken.None);
        await _bed.Registry.StartShardAsync(lease, CancellationToken.None);
        await Wait.UntilAsync(() => _bed.Registry.Find(account)?.State == AuthenticationState.Ready, AccountTestBed.Deadline);
    }

    private IEnumerable<MessageSent> Sent(Guid commandId) => _bed.Published<MessageSent>(m => m.CommandId == commandId);
}
