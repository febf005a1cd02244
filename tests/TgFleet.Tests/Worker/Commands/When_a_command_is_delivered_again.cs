using Npgsql;
using NUnit.Framework;
using TgFleet.Testing;
using TgFleet.Worker.Commands;

namespace TgFleet.Tests.Worker.Commands;

[TestFixture, Category("Worker")]
public sealed class When_a_command_is_delivered_again
{
    private TestDatabase _db = null!;
    private CommandJournal _journal = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _journal = new CommandJournal(NpgsqlDataSource.Create(_db.ConnectionString));
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [Test]
    public async Task Exactly_one_of_many_concurrent_deliveries_does_the_work()
    {
        var id = Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _journal.BeginAsync(id, "acct", "SendMessage", default)));

        Assert.That(answers.Count(a => a is null), Is.EqualTo(1));
        Assert.That(answers.Where(a => a is not null).Select(a => a!.State), Is.All.EqualTo(CommandState.Accepted));
    }

    [Test]
    public async Task A_finished_command_reports_its_recorded_outcome()
    {
        var id = Guid.NewGuid();
        Assert.That(await _journal.BeginAsync(id, "acct", "SendMessage", default), Is.Null);
        Assert.That(await _journal.MoveAsync(id, CommandState.Accepted, CommandState.Sending, null, default), Is.True);
        Assert.That(await _journal.MoveAsync(id, CommandState.Sending, CommandState.Succeeded, """{"messageId": 42}""", default), Is.True);

        var again = await _journal.BeginAsync(id, "acct", "SendMessage", default);

        Assert.That(again!.State, Is.EqualTo(CommandState.Succeeded));
        Assert.That(again.Outcome, Does.Contain("\"messageId\": 42"));
    }

    [Test]
    public async Task A_command_caught_mid_send_is_seen_as_sending_and_cannot_be_moved_twice()
    {
        var id = Guid.NewGuid();
        await _journal.BeginAsync(id, "acct", "SendMessage", default);
        await _journal.MoveAsync(id, CommandState.Accepted, CommandState.Sending, null, default);

        var again = await _journal.BeginAsync(id, "acct", "SendMessage", default);

        Assert.That(again!.State, Is.EqualTo(CommandState.Sending), "a crash here leaves the outcome unknown");
        Assert.That(await _journal.MoveAsync(id, CommandState.Accepted, CommandState.Sending, null, default), Is.False);
    }
}
