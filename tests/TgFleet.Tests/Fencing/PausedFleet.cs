using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using NUnit.Framework;
using TgFleet.DevServers;
using TgFleet.Testing;
using TgFleet.Simulator;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Fencing;

/// <summary>
/// Two real workers (each with its child egress gate) on the simulator, accounts on both, sends
/// streaming; one worker is paused (SIGSTOP), killed, or frozen with its gate. The evidence: the
/// witness (AUTH_KEY_DUPLICATED), the events (one outcome per command), the broker (no
/// <c>_error</c> queue holds anything).
/// </summary>
internal sealed partial class PausedFleet : IAsyncDisposable
{
    public const int Stop = 19;      // SIGSTOP (Linux)
    public const int Continue = 18;  // SIGCONT (Linux)

    private readonly List<(Guid Id, string Account)> _commands = [];

    private readonly IReadOnlyDictionary<string, string?> _settings;

    private PausedFleet(FleetBed fleet, IReadOnlyDictionary<string, string?> settings, WorkerProcess victim, WorkerProcess survivor,
        IReadOnlyList<FleetAccount> victims, IReadOnlyList<FleetAccount> residents, string recipient)
    {
        Fleet = fleet;
        _settings = settings;
        Victim = victim;
        Survivor = survivor;
        Victims = victims;
        Residents = residents;
        Recipient = recipient;
    }

    public FleetBed Fleet { get; }

    /// <summary>The worker paused (or killed); after <see cref="ReplaceVictimAsync"/>, the fresh worker in its place.</summary>
    public WorkerProcess Victim { get; private set; }

    public WorkerProcess Survivor { get; }

    /// <summary>Accounts on the victim's shards.</summary>
    public IReadOnlyList<FleetAccount> Victims { get; }

    /// <summary>Accounts on the survivor's shards.</summary>
    public IReadOnlyList<FleetAccount> Residents { get; }

    public string Recipient { get; }

    /// <summary>
    /// A fleet whose simulator keeps silent connections for <paramref name="cloudDelay"/> and whose
    /// workers wait <paramref name="takeOverDelay"/> for an expired lease nobody recorded closed;
    /// <paramref name="perWorker"/> accounts logged in on each worker; <paramref name="settings"/>
    /// are further worker settings. The workers' AMQP heartbeat is 60 s unless
    /// <paramref name="settings"/> say otherwise: these tests pause a worker for up to 25 s and
    /// watch it fence and rejoin on its old connection, which a pause longer than the heartbeat
    /// (the 10 s default) would not keep (the worker ends itself instead, tested on its own).
    /// </summary>
    public static async Task<PausedFleet> StartAsync(TimeSpan cloudDelay, TimeSpan takeOverDelay, int perWorker,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var fleet = await FleetBed.StartAsync();
        fleet.Sim.Server.Cloud.DisconnectDelay = cloudDelay;
        var all = new Dictionary<string, string?>
        {
            ["RabbitMq__Heartbeat"] = "00:01:00",
            ["Shards__DisconnectDelay"] = takeOverDelay.ToString("c", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var workers = await fleet.StartWorkersAsync(all, "w1", "w2");
        var owners = await fleet.WaitForFairShareAsync(workers);
        var accounts = new List<FleetAccount>();
        foreach (var worker in workers)
        {
            var shards = owners.Where(o => o.Value == worker.Id).Select(o => o.Key).Order().ToList();
            for (var i = 0; i < perWorker; i++)
            {
                accounts.Add(await fleet.LogInAsync(shards[i % shards.Count]));
            }
        }

        var to = await fleet.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Wanda", Username: "w" + Guid.NewGuid().ToString("N")[..12]));
        return new PausedFleet(fleet, all, workers[0], workers[1], accounts.Take(perWorker).ToList(), accounts.Skip(perWorker).ToList(), to.Username!);
    }

    /// <summary>Starts a fresh worker <paramref name="id"/> (same settings) in the place of the victim, as its supervisor would.</summary>
    public async Task ReplaceVictimAsync(string id) => Victim = (await Fleet.StartWorkersAsync(_settings, id))[0];

    /// <summary>The victim's child gate (from its log line "Egress gate started (pid N)").</summary>
    public int GatePid => int.Parse(GateStarted().Matches(Victim.Run.Output)[^1].Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>Sends one message from each account (<paramref name="accounts"/>, default all); returns their command ids.</summary>
    public async Task<IReadOnlyList<Guid>> SendFromAllAsync(string text, IEnumerable<FleetAccount>? accounts = null)
    {
        var ids = new List<Guid>();
        foreach (var account in accounts ?? Victims.Concat(Residents))
        {
            var command = new SendMessage(Guid.NewGuid(), account.Id, Contracts.Messaging.Recipient.Username(Recipient), text + " " + account.Id);
            _commands.Add((command.CommandId, account.Id));
            ids.Add(command.CommandId);
            await Fleet.SendAsync(command);
        }

        return ids;
    }

    /// <summary>
    /// Answers received for <paramref name="commandId"/>: MessageSent, MessageFailed, or a
    /// CommandRejected (a "not now" refusal, such as ACCOUNT_NOT_READY for an account its new owner
    /// could not restore in time, is an answer too).
    /// </summary>
    public int OutcomesOf(Guid commandId) =>
        Fleet.Events.Since<MessageSent>(0).Count(e => e.Message.CommandId == commandId)
        + Fleet.Events.Since<MessageFailed>(0).Count(e => e.Message.CommandId == commandId)
        + Fleet.Events.Since<CommandRejected>(0).Count(e => e.Message.CommandId == commandId);

    /// <summary>Waits until every command sent so far has an outcome.</summary>
    public Task WaitForEveryOutcomeAsync(TimeSpan deadline) =>
        Wait.UntilAsync(() => _commands.All(c => OutcomesOf(c.Id) > 0), deadline,
            () => $"{_commands.Count(c => OutcomesOf(c.Id) == 0)} of {_commands.Count} commands without an outcome\n"
                + string.Concat(_commands.Where(c => OutcomesOf(c.Id) == 0).Select(c => $"{c.Id} ({c.Account}):\n{Mentions(c.Id)}"))
                + Fleet.Describe());

    /// <summary>The workers' log lines that name <paramref name="commandId"/>.</summary>
    private string Mentions(Guid commandId) => string.Concat(new[] { Victim, Survivor }.SelectMany(w =>
        w.Run.Output.Split('\n').Where(line => line.Contains(commandId.ToString(), StringComparison.Ordinal)).Select(line => $"  {w.Id}: {line}\n")));

    /// <summary>Commands answered MessageSent.</summary>
    public int SentCount => Fleet.Events.Since<MessageSent>(0).Select(e => e.Message.CommandId).Distinct().Count(id => _commands.Any(c => c.Id == id));

    /// <summary>Commands with more than one outcome.</summary>
    public IEnumerable<Guid> WithSeveralOutcomes => _commands.Select(c => c.Id).Where(id => OutcomesOf(id) > 1);

    /// <summary>Waits until every victim account is online again after <paramref name="since"/>; returns when the last one was.</summary>
    public async Task<long> WaitForVictimsOnlineAsync(long since, TimeSpan deadline)
    {
        var back = new List<long>();
        foreach (var account in Victims)
        {
            back.Add(await Fleet.Events.WaitForStatusAsync(account.Id, AccountStatus.Online, since, deadline, Fleet.Describe));
        }

        return back.Max();
    }

    /// <summary>Every account sends again, and each gets MessageSent.</summary>
    public async Task<int> EveryAccountSendsAgainAsync(TimeSpan deadline)
    {
        var ids = await SendFromAllAsync("afterwards");
        await Wait.UntilAsync(() => ids.All(id => Fleet.Events.Since<MessageSent>(0).Any(e => e.Message.CommandId == id)), deadline,
            () => $"{ids.Count(id => !Fleet.Events.Since<MessageSent>(0).Any(e => e.Message.CommandId == id))} accounts did not send again\n" + Fleet.Describe());
        return ids.Count;
    }

    /// <summary>
    /// Sends from every account, pauses the victim (its gate running) for at least
    /// <paramref name="pause"/>, sending again meanwhile; returns how long after the SIGSTOP the
    /// last of its accounts was online on the survivor.
    /// </summary>
    public async Task<TimeSpan> PauseVictimWhileSendingAsync(TimeSpan pause)
    {
        await SendFromAllAsync("before");
        var takeOver = TimeSpan.Zero;
        await PauseAsync(pause, async since =>
        {
            await SendFromAllAsync("during");
            takeOver = Stopwatch.GetElapsedTime(since, await WaitForVictimsOnlineAsync(since, TimeSpan.FromSeconds(60)));
        }, Victim.Run.Pid);
        return takeOver;
    }

    /// <summary>
    /// After a pause: the paused worker is back with its share of the shards, every command has
    /// exactly one outcome and the recipient got exactly the messages reported sent, no session ran
    /// twice, nothing is in an <c>_error</c> queue, and every account sends again.
    /// </summary>
    public async Task AssertNothingLostOrDoubledAsync()
    {
        // The resumed worker fenced and rejoined as a fresh member: it holds its share again.
        var clock = Stopwatch.StartNew();
        await Fleet.WaitForFairShareAsync(TimeSpan.FromSeconds(60), Victim, Survivor);
        TestContext.Out.WriteLine($"the paused worker held its share again {clock.Elapsed.TotalSeconds:0.0} s after the pause ended");
        await WaitForEveryOutcomeAsync(TimeSpan.FromSeconds(60));
        var again = await EveryAccountSendsAgainAsync(TimeSpan.FromSeconds(60));

        Assert.That((await Fleet.Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.Zero, "no session ran twice");
        Assert.That(WithSeveralOutcomes, Is.Empty, "one outcome per command");
        Assert.That(await ErrorQueueMessagesAsync(), Is.Zero, "nothing in an _error queue");
        Assert.That(await Fleet.Sim.ReceivedAsync("@" + Recipient), Has.Length.EqualTo(SentCount), "the recipient got exactly the messages reported sent");
        Assert.That(again, Is.EqualTo(Victims.Count + Residents.Count));
    }

    /// <summary>Messages waiting in the virtual host's <c>_error</c> queues.</summary>
    public async Task<long> ErrorQueueMessagesAsync()
    {
        var vhost = Uri.EscapeDataString(Fleet.VirtualHost.Name);
        using var queues = JsonDocument.Parse(await Fleet.VirtualHost.Server.GetManagementJsonAsync("queues/" + vhost));
        return queues.RootElement.EnumerateArray()
            .Where(q => q.GetProperty("name").GetString()!.EndsWith("_error", StringComparison.Ordinal))
            .Sum(q => q.TryGetProperty("messages", out var m) ? m.GetInt64() : 0);
    }

    /// <summary>SIGSTOP to <paramref name="pids"/>, waits <paramref name="pause"/> (the scenario), SIGCONT; returns when it stopped.</summary>
    public static async Task<long> PauseAsync(TimeSpan pause, Func<long, Task>? meanwhile, params int[] pids)
    {
        var stopped = Stopwatch.GetTimestamp();
        foreach (var pid in pids)
        {
            Signals.Send(pid, Stop);
        }

        try
        {
            if (meanwhile is not null)
            {
                await meanwhile(stopped);
            }

            var left = pause - Stopwatch.GetElapsedTime(stopped);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left); // the pause itself is the scenario
            }
        }
        finally
        {
            foreach (var pid in pids)
            {
                Signals.Send(pid, Continue);
            }
        }

        return stopped;
    }

    public ValueTask DisposeAsync() => Fleet.DisposeAsync();

    [GeneratedRegex(@"Egress gate started \(pid (\d+)\)")]
    private static partial Regex GateStarted();
}
