using Npgsql;
using NUnit.Framework;
using TgFleet.Testing;
using TgFleet.Worker.Commands;

namespace TgFleet.Tests.Worker.Commands;

[TestFixture, Category("Worker")]
public sealed class When_a_command_is_delivered_again
{
    private static readonly byte[] Body = [1, 2, 3];
    private TestDatabase _db = null!;
    private NpgsqlDataSource _source = null!;
    private CommandJournal _journal = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _source = NpgsqlDataSource.Create(_db.ConnectionString);
        _journal = new CommandJournal(_source, new TgFleet.Worker.WorkerMetrics(TestMeters.Create()));
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _journal.DisposeAsync();
        await _source.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task Exactly_one_of_many_concurrent_deliveries_does_the_work()
    {
        var id = Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _journal.BeginAsync(id, "acct", "LogOut", Body)));

        Assert.That(answers.Count(a => a is null), Is.EqualTo(1));
        Assert.That(answers.Where(a => a is not null).Select(a => (a!.State, a.SameBody)), Is.All.EqualTo((CommandState.Accepted, true)));
    }

    [Test]
    public async Task Concurrent_commands_are_begun_in_shared_statements_each_with_its_own_answer()
    {
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();
        await _journal.BeginAsync(ids[0], "acct", "LogOut", Body);

        var answers = await Task.WhenAll(ids.Select(id => _journal.BeginAsync(id, "acct", "LogOut", Body)));

        Assert.That(answers[0]?.State, Is.EqualTo(CommandState.Accepted));
        Assert.That(answers.Skip(1), Is.All.Null);
    }

    [Test]
    public async Task A_finished_command_reports_its_recorded_outcome_and_cannot_be_finished_twice()
    {
        var id = Guid.NewGuid();
        Assert.That(await _journal.BeginAsync(id, "acct", "LogOut", Body), Is.Null);
        Assert.That(await _journal.FinishAsync(id, CommandState.Failed, """{"reason": "ACCOUNT_UNKNOWN"}"""), Is.True);

        var again = await _journal.BeginAsync(id, "acct", "LogOut", Body);

        Assert.That(again!.State, Is.EqualTo(CommandState.Failed));
        Assert.That(again.Outcome, Does.Contain("ACCOUNT_UNKNOWN"));
        Assert.That(await _journal.FinishAsync(id, CommandState.Succeeded, null), Is.False);
    }

    [Test]
    public async Task The_same_id_with_another_body_or_of_another_command_is_not_the_same_command()
    {
        var id = Guid.NewGuid();
        await _journal.BeginAsync(id, "acct", "LogOut", Body);

        var otherBody = await _journal.BeginAsync(id, "acct", "LogOut", [9]);
        var otherCommand = await _journal.BeginAsync(id, "acct", "RemoveAccount", Body);

        Assert.That((otherBody!.SameBody, otherCommand!.SameBody), Is.EqualTo((false, false)));
    }
}
