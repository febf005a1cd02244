using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Worker.Faults;

/// <summary>
/// Twenty accounts stream sends through two real worker processes while PostgreSQL (20 s) or
/// RabbitMQ (10 s) is taken away as a restart does; the fixture has servers of its own
/// (<see cref="TestInfrastructure.StartOwnServersAsync"/>), so no other fixture sees the outage. The upstream side behaves as documented: it
/// sends each command until the broker takes it and retries a "not now" failure with the same id.
/// Every command must end in one final outcome that the simulator (the witness) confirms, nothing
/// may land in an <c>_error</c> queue, and nothing may be sent twice (docs/messaging.md, "Transient
/// or final", "Sends finish asynchronously").
/// </summary>
[TestFixture, Category("Faults")]
public sealed class When_the_database_or_the_broker_goes_away
{
    private const int Accounts = 20;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(120);
    private OwnServers _servers = null!;
    private FleetBed _fleet = null!;
    private WorkerProcess[] _workers = [];
    private FleetAccount[] _accounts = [];
    private string _to = string.Empty;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _servers = await TestInfrastructure.StartOwnServersAsync();
        _fleet = await FleetBed.StartAsync(_servers);
        _workers = await _fleet.StartWorkersAsync("w1", "w2");
        await _fleet.WaitForFairShareAsync(_workers);
        _accounts = await Task.WhenAll(Enumerable.Range(0, Accounts).Select(i => _fleet.LogInAsync(i % FleetBed.Shards)));
        _to = (await _fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), "Rita", Username: "r" + Guid.NewGuid().ToString("N")[..12]))).Username!;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        try
        {
            await _fleet.DisposeAsync();
        }
        finally
        {
            await _servers.DisposeAsync();
        }
    }

    [Test]
    public async Task PostgreSQL_stopped_for_20_s_every_send_ends_in_one_true_outcome_and_readiness_follows_the_shards()
    {
        var readiness = new ConcurrentBag<(string Worker, bool Ready, double Owned)>();
        using var watching = new CancellationTokenSource();
        var watch = WatchReadinessAsync(readiness, watching.Token);

        var commands = await StreamThroughAsync(() => _servers.Postgres.TakeAwayAsync(TimeSpan.FromSeconds(20)));
        await watching.CancelAsync();
        await watch;

        await AssertEveryCommandEndsTrulyAsync(commands);
        Assert.That(readiness.Where(r => !r.Ready).Select(r => r.Worker).Distinct().Count(), Is.EqualTo(2), "both workers went out of service while the database was away");
        Assert.That(readiness.Where(r => r.Ready && r.Owned < 1), Is.Empty, "ready only while holding shards");
    }

    [Test]
    public async Task RabbitMQ_stopped_for_10_s_every_send_ends_in_one_true_outcome()
    {
        var commands = await StreamThroughAsync(() => _servers.RabbitMq.TakeAwayAsync(TimeSpan.FromSeconds(10)));
        await AssertEveryCommandEndsTrulyAsync(commands);
    }

    /// <summary>Every account sends one message a second before, during and after <paramref name="outage"/>, until each has sent again after it.</summary>
    private async Task<IReadOnlyList<SendMessage>> StreamThroughAsync(Func<Task> outage)
    {
        var commands = new ConcurrentQueue<SendMessage>();
        using var stop = new CancellationTokenSource();
        var streams = _accounts.Select(a => StreamAsync(a, commands, stop.Token)).ToList();
        var before = commands.Count;
        await Wait.UntilAsync(() => Sent(commands).Count >= Accounts, FleetBed.Deadline, _fleet.Describe);
        await outage();
        var back = FleetEvents.Now;
        await Wait.UntilAsync(() => _accounts.All(a => _fleet.Events.Since<MessageSent>(back).Any(e => e.Message.AccountId == a.Id)), Settle, _fleet.Describe);
        await stop.CancelAsync();
        await Task.WhenAll(streams);
        TestContext.Progress.WriteLine($"{commands.Count - before} commands streamed through the outage");
        return [.. commands];
    }

    private async Task StreamAsync(FleetAccount account, ConcurrentQueue<SendMessage> commands, CancellationToken stop)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            // A text of its own per send (also across the tests): the witness matches sends by text.
            var command = new SendMessage(Guid.NewGuid(), account.Id, Recipient.Username(_to), $"{account.Id} #{n} {Guid.NewGuid():N}");
            commands.Enqueue(command);
            await SendUntilTakenAsync(command);
            try
            {
                await tick.WaitForNextTickAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>As an upstream service does: sends again until the broker has taken the command (same id).</summary>
    private async Task SendUntilTakenAsync(SendMessage command)
    {
        var deadline = FleetEvents.Now + (long)(Settle.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (true)
        {
            try
            {
                await _fleet.SendAsync(command).WaitAsync(TimeSpan.FromSeconds(5));
                return;
            }
            catch (Exception) when (FleetEvents.Now < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private async Task AssertEveryCommandEndsTrulyAsync(IReadOnlyList<SendMessage> commands)
    {
        // The upstream side retries a "not now" (Permanent = false) with the same id until each command has a final outcome.
        var resent = new Dictionary<Guid, long>();
        await Wait.UntilAsync(async () =>
        {
            foreach (var open in commands.Where(c => Final(c.CommandId).Count == 0 && NotNowSince(c.CommandId)))
            {
                if (FleetEvents.Now - resent.GetValueOrDefault(open.CommandId) > 2 * System.Diagnostics.Stopwatch.Frequency)
                {
                    resent[open.CommandId] = FleetEvents.Now;
                    await SendUntilTakenAsync(open);
                }
            }

            return commands.All(c => Final(c.CommandId).Count > 0);
        }, Settle, () => $"{commands.Count(c => Final(c.CommandId).Count == 0)} of {commands.Count} commands have no final outcome\n{_fleet.Describe()}");

        var received = (await _fleet.Sim.ReceivedAsync("@" + _to)).GroupBy(m => m.Text).ToDictionary(g => g.Key, g => g.Count());
        var journal = await JournalAsync(commands);
        var duplicateEvents = 0;
        foreach (var command in commands)
        {
            var final = Final(command.CommandId);
            duplicateEvents += final.Count - 1;
            Assert.That(final.Select(Describe).Distinct().Count(), Is.EqualTo(1), $"{command.CommandId}: one final outcome ({string.Join(", ", final.Select(Describe))})");
            var outcome = final[0];
            var got = received.GetValueOrDefault(command.Text);
            switch (outcome)
            {
                case MessageSent:
                    Assert.That(got, Is.EqualTo(1), $"{command.Text}: reported sent, so the recipient has it once");
                    Assert.That(journal.GetValueOrDefault(command.CommandId), Is.EqualTo("succeeded"));
                    break;
                case MessageFailed { Reason: "OUTCOME_UNKNOWN" }:
                    Assert.That(got, Is.LessThanOrEqualTo(1), $"{command.Text}: unknown, never twice");
                    Assert.That(journal.GetValueOrDefault(command.CommandId), Is.EqualTo("unknown"));
                    break;
                case MessageFailed failed:
                    Assert.That(got, Is.Zero, $"{command.Text}: reported failed ({failed.Reason}), so the recipient has nothing");
                    break;
            }
        }

        var queues = JsonDocument.Parse(await _fleet.VirtualHost.Server.GetManagementJsonAsync("queues/" + Uri.EscapeDataString(_fleet.VirtualHost.Name)));
        var errors = queues.RootElement.EnumerateArray()
            .Where(q => q.GetProperty("name").GetString()!.EndsWith("_error", StringComparison.Ordinal) && q.TryGetProperty("messages", out var m) && m.GetInt64() > 0)
            .Select(q => q.GetProperty("name").GetString()).ToList();
        Assert.That(errors, Is.Empty, "nothing in an _error queue");
        var witness = await _fleet.Sim.SummaryAsync();
        Assert.That(witness.Duplicates, Is.Zero, "nothing sent twice");
        TestContext.Progress.WriteLine($"{commands.Count} commands: {commands.Count(c => Final(c.CommandId)[0] is MessageSent)} sent, "
            + $"{commands.Count(c => Final(c.CommandId)[0] is MessageFailed { Reason: "OUTCOME_UNKNOWN" })} unknown, {duplicateEvents} outcome events published twice");
    }

    private async Task WatchReadinessAsync(ConcurrentBag<(string Worker, bool Ready, double Owned)> seen, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var worker in _workers)
            {
                var ready = await worker.IsReadyAsync();
                seen.Add((worker.Id, ready, ready ? await worker.MetricAsync("tgfleet_shards_owned", "") : 0));
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private List<SendMessage> Sent(IEnumerable<SendMessage> commands) =>
        [.. commands.Where(c => _fleet.Events.Since<MessageSent>(0).Any(e => e.Message.CommandId == c.CommandId))];

    /// <summary>The final outcomes published for <paramref name="commandId"/>: MessageSent, or a permanent MessageFailed (OUTCOME_UNKNOWN among them).</summary>
    private List<object> Final(Guid commandId) =>
        [.. _fleet.Events.Since<MessageSent>(0).Where(e => e.Message.CommandId == commandId).Select(e => (object)e.Message)
            .Concat(_fleet.Events.Since<MessageFailed>(0).Where(e => e.Message.CommandId == commandId && e.Message.Permanent).Select(e => (object)e.Message))];

    private bool NotNowSince(Guid commandId) =>
        _fleet.Events.Since<MessageFailed>(0).Any(e => e.Message.CommandId == commandId && !e.Message.Permanent)
        || _fleet.Events.Since<CommandRejected>(0).Any(e => e.Message.CommandId == commandId && !e.Message.Permanent);

    private static string Describe(object outcome) => outcome switch
    {
        MessageSent sent => $"sent {sent.ChatId}/{sent.MessageId}",
        MessageFailed failed => $"failed {failed.Reason}",
        _ => outcome.ToString()!,
    };

    private async Task<Dictionary<Guid, string>> JournalAsync(IReadOnlyList<SendMessage> commands)
    {
        // The pool's connections from before a restart are broken: open fresh ones.
        _fleet.Db.Clear();
        await using var conn = await _fleet.Db.OpenConnectionAsync();
        var rows = await conn.QueryAsync<(Guid Id, string State)>("SELECT command_id, state FROM command_journal WHERE command_id = ANY(@Ids)",
            new { Ids = commands.Select(c => c.CommandId).ToArray() });
        return rows.ToDictionary(r => r.Id, r => r.State);
    }
}
