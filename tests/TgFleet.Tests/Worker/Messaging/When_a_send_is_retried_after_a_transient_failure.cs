using Dapper;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Accounts;
using TgFleet.Worker.Sharding;

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

        // Not logged in yet: refused for now, not a final outcome, and nothing recorded.
        var first = (CommandRejected)await _bed.SendAsync(command);
        Assert.That(await JournalStateAsync(command.CommandId), Is.Null, "a not-now refusal records nothing");
        await _bed.SubmitCodeAsync(account, phone);
        await _bed.Harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Sent(command.CommandId).Any(), AccountTestBed.Deadline);
        await _bed.Harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Sent(command.CommandId).Count() == 2, AccountTestBed.Deadline);

        Assert.That((first.Command, first.Field, first.Reason, first.Permanent), Is.EqualTo(("SendMessage", "AccountId", "ACCOUNT_NOT_READY", false)));
        Assert.That(Sent(command.CommandId).Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(1), "the third delivery replays the retry's recorded outcome");
        Assert.That(_bed.Published<CommandRejected>(m => m.CommandId == command.CommandId).Count(), Is.EqualTo(1));
        Assert.That(_bed.Published<MessageFailed>(m => m.CommandId == command.CommandId), Is.Empty, "one reason, one event type");
        Assert.That(await JournalStateAsync(command.CommandId), Is.EqualTo("succeeded"));
        var received = await _bed.Sim.ReceivedAsync("@" + to.Username);
        Assert.That(received.Count(m => m.Text == "once, after the login"), Is.EqualTo(1), "the witness: sent once");
    }

    [Test]
    public async Task A_send_while_its_shard_is_not_held_here_is_refused_for_now_and_the_retry_sends_once()
    {
        var (account, _) = await _bed.LogInAsync();
        await Wait.UntilAsync(async () => await _bed.Bed.SessionRowAsync(account) is not null, AccountTestBed.Deadline);
        var to = await _bed.NewRecipientAsync();
        var command = new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "once, after the shard is back");
        var lease = new ShardLease(_bed.Registry.ShardOf(account), AccountTestBed.LeaseEpoch);
        await _bed.Registry.StopShardAsync(lease, graceful: true, CancellationToken.None);

        var first = (CommandRejected)await _bed.SendAsync(command);
        await _bed.Registry.StartShardAsync(lease, CancellationToken.None);
        // Back on this worker, its session restored.
        await Wait.UntilAsync(() => _bed.Registry.Find(account) is { State: AuthenticationState.Ready }, AccountTestBed.Deadline);
        await _bed.Harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Sent(command.CommandId).Any(), AccountTestBed.Deadline);

        Assert.That((first.Field, first.Reason, first.Permanent), Is.EqualTo(("AccountId", "SHARD_NOT_OWNED", false)));
        Assert.That(_bed.Published<CommandRejected>(m => m.CommandId == command.CommandId).Count(), Is.EqualTo(1), "the retry under the same CommandId executes");
        Assert.That(_bed.Published<MessageFailed>(m => m.CommandId == command.CommandId), Is.Empty, "one reason, one event type");
        var received = await _bed.Sim.ReceivedAsync("@" + to.Username);
        Assert.That(received.Count(m => m.Text == "once, after the shard is back"), Is.EqualTo(1), "the witness: sent once");
    }

    private async Task<string?> JournalStateAsync(Guid commandId)
    {
        await using var conn = await _bed.Bed.Db.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<string?>("SELECT state FROM command_journal WHERE command_id = @Id", new { Id = commandId });
    }

    private IEnumerable<MessageSent> Sent(Guid commandId) => _bed.Published<MessageSent>(m => m.CommandId == commandId);
}
