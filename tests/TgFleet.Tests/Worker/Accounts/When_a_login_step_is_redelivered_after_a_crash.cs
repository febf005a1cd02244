using Dapper;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Messaging;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_a_login_step_is_redelivered_after_a_crash
{
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task The_step_left_mid_way_runs_and_a_finished_one_is_answered()
    {
        var (account, phone) = await _bed.StartLoginAsync();
        var submit = new SubmitAuthenticationCode(Guid.NewGuid(), account, await _bed.Sim.CodeAsync(phone));
        // What a worker that died mid-step leaves: the journal row written first, nothing after it.
        await using (var conn = await _bed.Bed.Db.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("INSERT INTO command_journal (command_id, account_id, command, state) VALUES (@Id, @Account, 'SubmitAuthenticationCode', 'accepted')",
                new { Id = submit.CommandId, Account = account });
        }

        await _bed.Harness.Bus.Publish(submit);
        await Wait.UntilAsync(() => Answers(submit.CommandId).Any(a => a.State == AuthenticationState.Ready), AccountTestBed.Deadline,
            () => string.Join(", ", Answers(submit.CommandId).Select(a => a.State)));
        var answered = Answers(submit.CommandId).Count();
        await _bed.Harness.Bus.Publish(submit);
        await Wait.UntilAsync(() => Answers(submit.CommandId).Count() > answered, AccountTestBed.Deadline);

        Assert.That(Answers(submit.CommandId).Last().State, Is.EqualTo(AuthenticationState.Ready), "the finished step is answered with where the login stands");
    }

    private IEnumerable<AuthenticationStateChanged> Answers(Guid commandId) => _bed.Published<AuthenticationStateChanged>(m => m.CommandId == commandId);
}
