using System.Diagnostics.Metrics;
using Dapper;
using Npgsql;
using NUnit.Framework;
using TgFleet.Testing;
using TgFleet.Worker;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Messaging;

namespace TgFleet.Tests.Worker.Messaging;

/// <summary>SendJournal on a real PostgreSQL: the two batched statements that make a send happen once.</summary>
[TestFixture, Category("Worker")]
public sealed class When_sends_are_journalled
{
    private TestDatabase _db = null!;
    private NpgsqlDataSource _source = null!;
    private SendJournal _journal = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _source = NpgsqlDataSource.Create(_db.ConnectionString);
        _journal = new SendJournal(_source, new WorkerMetrics(TestMeters.Create()));
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        await _journal.DisposeAsync();
        await _source.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Test]
    public async Task Exactly_one_of_many_concurrent_deliveries_is_let_send()
    {
        var id = Guid.NewGuid();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => _journal.StartAsync(id, "acct", 7))));

        Assert.That(answers.Count(a => a.Kind == SendStartKind.Started), Is.EqualTo(1));
        Assert.That(answers.Where(a => a.Kind != SendStartKind.Started).Select(a => a.Existing?.State), Is.All.EqualTo(CommandState.Sending));
        Assert.That(await StateAsync(id), Is.EqualTo("sending"));
    }

    [Test]
    public async Task Concurrent_sends_of_different_commands_all_start_and_finish()
    {
        var ids = Enumerable.Range(0, 300).Select(_ => Guid.NewGuid()).ToArray();

        var starts = await Task.WhenAll(ids.Select(id => Task.Run(() => _journal.StartAsync(id, "acct-" + id.ToString()[..4], 0))));
        var finishes = await Task.WhenAll(ids.Select((id, i) => Task.Run(() => _journal.FinishAsync(id, i % 2 == 0 ? CommandState.Succeeded : CommandState.Failed, $$"""{"n": {{i}}}"""))));

        Assert.That(starts.Select(s => s.Kind), Is.All.EqualTo(SendStartKind.Started));
        Assert.That(finishes, Is.All.True);
        await using var conn = await _source.OpenConnectionAsync();
        var rows = (await conn.QueryAsync<(Guid Id, string State, int N)>(
            "SELECT command_id, state, (outcome->>'n')::int FROM command_journal WHERE command_id = ANY(@Ids)", new { Ids = ids })).ToDictionary(r => r.Id);
        Assert.That(rows, Has.Count.EqualTo(ids.Length));
        Assert.That(ids.Select((id, i) => rows[id].N == i && rows[id].State == (i % 2 == 0 ? "succeeded" : "failed")), Is.All.True, "each outcome landed on its own row");
    }

    [Test]
    public async Task Concurrent_sends_share_statements_and_the_metric_counts_every_row()
    {
        var meters = TestMeters.Create();
        var recorded = new List<(string Statement, int Rows)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "tgfleet.journal.batch.rows")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, rows, tags, _) =>
        {
            lock (recorded)
            {
                recorded.Add(((string)tags[0].Value!, rows));
            }
        });
        listener.Start();
        await using var journal = new SendJournal(_source, new WorkerMetrics(meters));
        var ids = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid()).ToArray();

        await Task.WhenAll(ids.Select(id => Task.Run(() => journal.StartAsync(id, "acct", 0))));
        await Task.WhenAll(ids.Select(id => Task.Run(() => journal.FinishAsync(id, CommandState.Succeeded, "{}"))));

        List<(string Statement, int Rows)> seen;
        lock (recorded)
        {
            seen = [.. recorded];
        }

        var starts = seen.Where(r => r.Statement == "start").ToList();
        var finishes = seen.Where(r => r.Statement == "finish").ToList();
        Assert.That(starts.Sum(r => r.Rows), Is.EqualTo(ids.Length), "every start row is counted once");
        Assert.That(finishes.Sum(r => r.Rows), Is.EqualTo(ids.Length), "every finish row is counted once");
        Assert.That(starts.Count, Is.LessThan(ids.Length), "200 concurrent starts did not take 200 statements");
        Assert.That(starts.Max(r => r.Rows), Is.LessThanOrEqualTo(128), "a statement carries at most 128 rows");
    }

    [Test]
    public async Task A_recipient_who_opted_out_is_refused_and_nothing_is_recorded()
    {
        var id = Guid.NewGuid();
        await using (var conn = await _source.OpenConnectionAsync())
        {
            await conn.ExecuteAsync("INSERT INTO opt_outs (telegram_user_id, account_id, reason) VALUES (4242, 'other', 'STOP')");
        }

        var answer = await _journal.StartAsync(id, "acct", 4242);

        Assert.That(answer.Kind, Is.EqualTo(SendStartKind.OptedOut));
        Assert.That(await StateAsync(id), Is.Null, "the refusal is recorded by the caller, with its reason");
        Assert.That((await _journal.StartAsync(Guid.NewGuid(), "acct", 4243)).Kind, Is.EqualTo(SendStartKind.Started), "another recipient is not refused");
    }

    [Test]
    public async Task A_finished_send_replays_its_outcome_and_cannot_be_finished_again()
    {
        var id = Guid.NewGuid();
        await _journal.StartAsync(id, "acct", 1);
        Assert.That(await _journal.FinishAsync(id, CommandState.Succeeded, """{"messageId": 42}"""), Is.True);

        var again = await _journal.StartAsync(id, "acct", 1);

        Assert.That(again.Kind, Is.EqualTo(SendStartKind.Existing));
        Assert.That(again.Existing!.State, Is.EqualTo(CommandState.Succeeded));
        Assert.That(again.Existing.Outcome, Does.Contain("\"messageId\": 42"));
        Assert.That(await _journal.FinishAsync(id, CommandState.Failed, """{"x": 1}"""), Is.False);
        Assert.That(await _journal.FinishAsync(Guid.NewGuid(), CommandState.Failed, """{"x": 1}"""), Is.False, "no row, nothing to finish");
    }

    [Test]
    public async Task A_failure_recorded_before_sending_stands_against_every_later_delivery()
    {
        var id = Guid.NewGuid();

        Assert.That(await _journal.RecordAsync(id, "acct", CommandState.Failed, """{"reason": "ACCOUNT_NOT_READY"}"""), Is.Null);
        var second = await _journal.RecordAsync(id, "acct", CommandState.Failed, """{"reason": "FLOOD_WAIT"}""");
        var start = await _journal.StartAsync(id, "acct", 1);

        Assert.That(second!.Outcome, Does.Contain("ACCOUNT_NOT_READY"));
        Assert.That(start.Kind, Is.EqualTo(SendStartKind.Existing));
        Assert.That(start.Existing!.Outcome, Does.Contain("ACCOUNT_NOT_READY"));
    }

    [Test]
    public async Task A_send_caught_mid_way_is_seen_as_sending_by_the_next_delivery()
    {
        var id = Guid.NewGuid();
        await _journal.StartAsync(id, "acct", 1);

        var recorded = await _journal.RecordAsync(id, "acct", CommandState.Failed, """{"reason": "ACCOUNT_NOT_READY"}""");

        Assert.That(recorded!.State, Is.EqualTo(CommandState.Sending), "a crash here leaves the outcome unknown; a later failure must not cover it");
        Assert.That(recorded.Outcome, Is.Null);
    }

    [Test]
    public async Task A_send_under_a_lease_epoch_that_is_no_longer_live_records_nothing()
    {
        await using (var conn = await _source.OpenConnectionAsync())
        {
            // Shard 5 was taken over at epoch 3; shard 6's lease (epoch 2) expired and nobody took it yet.
            await conn.ExecuteAsync("""
                INSERT INTO shard_leases (shard, owner, epoch, expires_at) VALUES
                    (5, 'survivor', 3, now() + interval '1 minute'), (6, 'paused', 2, now() - interval '1 second')
                """);
        }

        var stale = Guid.NewGuid();
        var expired = Guid.NewGuid();
        var live = Guid.NewGuid();
        var answers = await Task.WhenAll(
            _journal.StartAsync(new SendRow(stale, "acct", 5, 2, 77, [1]), 1, null),
            _journal.StartAsync(new SendRow(expired, "acct", 6, 2, 77, [1]), 1, null),
            _journal.StartAsync(new SendRow(live, "acct", 5, 3, 77, [1]), 1, null));

        Assert.That(answers.Select(a => a.Kind), Is.EqualTo(new[] { SendStartKind.Fenced, SendStartKind.Fenced, SendStartKind.Started }));
        Assert.That(await StateAsync(stale), Is.Null, "a resumed worker leaves no row its shard's next owner has already looked for");
        Assert.That(await StateAsync(expired), Is.Null);
        Assert.That(await StateAsync(live), Is.EqualTo("sending"));
    }

    private async Task<string?> StateAsync(Guid id)
    {
        await using var conn = await _source.OpenConnectionAsync();
        return await conn.QuerySingleOrDefaultAsync<string>("SELECT state FROM command_journal WHERE command_id = @Id", new { Id = id });
    }
}
