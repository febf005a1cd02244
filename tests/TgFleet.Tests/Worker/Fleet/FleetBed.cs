using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Dapper;
using MassTransit;
using Npgsql;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Contracts.Addressing;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>
/// A fleet under test: an in-process simulator, a database and a virtual host of its own, worker
/// PROCESSES (<see cref="WorkerProcess"/>), and the upstream side: a real MassTransit bus that
/// sends commands to shard queues and records the events the workers publish. One per fixture.
/// </summary>
internal sealed class FleetBed : IAsyncDisposable
{
    public const int Shards = 8;
    public static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(6);
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan FenceMargin = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly List<WorkerProcess> _workers = [];

    private FleetBed(SimulatorHarness sim, TestDatabase database, TestVirtualHost vhost, IBusControl bus, FleetEvents events)
    {
        Sim = sim;
        Database = database;
        VirtualHost = vhost;
        Bus = bus;
        Events = events;
        Db = NpgsqlDataSource.Create(database.ConnectionString);
    }

    public SimulatorHarness Sim { get; }

    public TestDatabase Database { get; }

    public TestVirtualHost VirtualHost { get; }

    public NpgsqlDataSource Db { get; }

    /// <summary>The upstream side's bus: sends commands, receives events on <see cref="EventQueue"/>.</summary>
    public IBusControl Bus { get; }

    public FleetEvents Events { get; }

    public string Root { get; } = TestInfrastructure.CreateTempDirectory("fleet");

    /// <summary>The fleet's session master key (base64 of 32 random bytes).</summary>
    public string SessionKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public const string EventQueue = "fleet-test-events";

    /// <summary>A fleet on the run's shared servers, or on <paramref name="servers"/> of its own (for a test that takes them away).</summary>
    public static async Task<FleetBed> StartAsync(OwnServers? servers = null)
    {
        var sim = SimulatorHarness.StartAsync();
        var database = servers is null ? TestInfrastructure.CreateDatabaseAsync() : Task.FromResult(servers.Database);
        var vhost = servers?.VirtualHost ?? await TestInfrastructure.CreateVirtualHostAsync();
        var events = new FleetEvents();
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(vhost.AmqpUri);
            cfg.ReceiveEndpoint(EventQueue, e =>
            {
                e.Handler<AuthenticationStateChanged>(c => events.Add(c.Message));
                e.Handler<AccountStatusChanged>(c => events.Add(c.Message));
                e.Handler<CommandRejected>(c => events.Add(c.Message));
                e.Handler<MessageSent>(c => events.Add(c.Message));
                e.Handler<MessageFailed>(c => events.Add(c.Message));
            });
        });
        await bus.StartAsync(TimeSpan.FromSeconds(30));
        return new FleetBed(await sim, await database, vhost, bus, events);
    }

    /// <summary>Starts workers with these ids together and waits until each is ready.</summary>
    public Task<WorkerProcess[]> StartWorkersAsync(params string[] ids) => StartWorkersAsync(new Dictionary<string, string?>(), ids);

    /// <summary>Starts workers with these ids and <paramref name="settings"/> together and waits until each is ready.</summary>
    public async Task<WorkerProcess[]> StartWorkersAsync(IReadOnlyDictionary<string, string?> settings, params string[] ids)
    {
        var clock = Stopwatch.StartNew();
        var started = ids.Select(id => WorkerProcess.Start(this, id, settings)).ToArray();
        _workers.AddRange(started);
        await Task.WhenAll(started.Select(w => w.WaitUntilReadyAsync(TimeSpan.FromSeconds(60))));
        NUnit.Framework.TestContext.Progress.WriteLine($"{string.Join(", ", ids)} ready in {clock.Elapsed.TotalSeconds:0.0} s");
        return started;
    }

    /// <summary>Live lease owners by shard (expired or released leases are left out).</summary>
    public async Task<IReadOnlyDictionary<int, string>> OwnersAsync()
    {
        await using var conn = await Db.OpenConnectionAsync();
        var rows = await conn.QueryAsync<(int Shard, string Owner)>(new CommandDefinition(
            "SELECT shard, owner FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()"));
        return rows.ToDictionary(r => r.Shard, r => r.Owner);
    }

    /// <summary>Waits until every shard is owned and each of <paramref name="workers"/> holds its fair share.</summary>
    public Task<IReadOnlyDictionary<int, string>> WaitForFairShareAsync(params WorkerProcess[] workers) => WaitForFairShareAsync(Deadline, workers);

    /// <summary>As <see cref="WaitForFairShareAsync(WorkerProcess[])"/>, within <paramref name="deadline"/>.</summary>
    public async Task<IReadOnlyDictionary<int, string>> WaitForFairShareAsync(TimeSpan deadline, params WorkerProcess[] workers)
    {
        var share = (Shards + workers.Length - 1) / workers.Length;
        IReadOnlyDictionary<int, string> owners = new Dictionary<int, string>();
        await Wait.UntilAsync(async () =>
        {
            owners = await OwnersAsync();
            return owners.Count == Shards && workers.All(w => owners.Values.Count(o => o == w.Id) >= Shards / workers.Length && owners.Values.Count(o => o == w.Id) <= share);
        }, deadline, () => string.Join(", ", owners.OrderBy(o => o.Key).Select(o => $"{o.Key}:{o.Value}")) + "\n" + Describe());
        return owners;
    }

    /// <summary>The session row's epoch (null: no session stored).</summary>
    public async Task<long?> SessionEpochAsync(string accountId)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT epoch FROM sessions WHERE account_id = @AccountId", new { AccountId = accountId }));
    }

    /// <summary>The lease epoch of <paramref name="shard"/>.</summary>
    public async Task<long> LeaseEpochAsync(int shard)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.QuerySingleAsync<long>(new CommandDefinition("SELECT epoch FROM shard_leases WHERE shard = @Shard", new { Shard = shard }));
    }

    /// <summary>A new account id on <paramref name="shard"/> (of <see cref="Shards"/>).</summary>
    public static string AccountOnShard(int shard)
    {
        while (true)
        {
            var id = "acct-" + Guid.NewGuid().ToString("N")[..12];
            if (ShardAddressing.ShardOf(id, Shards) == shard)
            {
                return id;
            }
        }
    }

    /// <summary>Sends a command to its account's shard queue, as an upstream service does.</summary>
    public Task SendAsync<T>(T command)
        where T : class => Bus.SendToShard(command, Shards);

    /// <summary>Seeds an account in the simulator and logs it in through the commands, up to Online.</summary>
    public async Task<FleetAccount> LogInAsync(int shard)
    {
        var phone = SimulatorHarness.NewPhone();
        await Sim.SeedAccountAsync(phone);
        var account = new FleetAccount(AccountOnShard(shard), phone, shard);
        var since = FleetEvents.Now;
        await SendAsync(new Authenticate(Guid.NewGuid(), account.Id, phone));
        await Events.WaitForLoginAsync(account.Id, AuthenticationState.AwaitingCode, since, Deadline, Describe);
        await SendAsync(new SubmitAuthenticationCode(Guid.NewGuid(), account.Id, await Sim.CodeAsync(phone)));
        await Events.WaitForStatusAsync(account.Id, AccountStatus.Online, since, Deadline, Describe);
        return account;
    }

    /// <summary>404: no login code was requested for <paramref name="phone"/> since its last sign-in.</summary>
    public async Task<HttpStatusCode> PendingCodeStatusAsync(string phone)
    {
        using var response = await Sim.Control.GetAsync("control/codes/" + Uri.EscapeDataString(phone));
        return response.StatusCode;
    }

    /// <summary>The events seen and the end of each worker's output, for failure messages.</summary>
    public string Describe() =>
        "Events: " + Events.Describe() + "\n" + string.Join('\n', _workers.Select(w => w.Tail()));

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
            if (Environment.GetEnvironmentVariable("TGFLEET_FLEET_LOGS") == "1")
            {
                NUnit.Framework.TestContext.Progress.WriteLine(worker.Tail(int.MaxValue));
            }
        }

        await Bus.StopAsync(TimeSpan.FromSeconds(30));
        await Db.DisposeAsync();
        await Sim.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>An account logged in through the fleet.</summary>
internal sealed record FleetAccount(string Id, string Phone, int Shard);

/// <summary>What the upstream side received, each with the (monotonic) time it arrived.</summary>
internal sealed class FleetEvents
{
    private readonly ConcurrentQueue<(object Message, long At)> _events = new();

    public static long Now => Stopwatch.GetTimestamp();

    public Task Add(object message)
    {
        _events.Enqueue((message, Now));
        return Task.CompletedTask;
    }

    /// <summary>Events of type <typeparamref name="T"/> received after <paramref name="since"/>, with their arrival.</summary>
    public IReadOnlyList<(T Message, long At)> Since<T>(long since) =>
        _events.Where(e => e.At >= since && e.Message is T).Select(e => ((T)e.Message, e.At)).ToList();

    /// <summary>The final outcomes (MessageSent, MessageFailed) received for a SendMessage, in arrival order.</summary>
    public IEnumerable<object> Outcomes(Guid commandId) =>
        _events.Where(e => (e.Message is MessageSent s && s.CommandId == commandId) || (e.Message is MessageFailed f && f.CommandId == commandId))
            .Select(e => e.Message).ToList();

    public async Task<long> WaitForLoginAsync(string accountId, AuthenticationState state, long since, TimeSpan deadline, Func<string> seen)
    {
        await Wait.UntilAsync(() => Since<AuthenticationStateChanged>(since).Any(e => e.Message.AccountId == accountId && e.Message.State == state), deadline, seen);
        return Since<AuthenticationStateChanged>(since).First(e => e.Message.AccountId == accountId && e.Message.State == state).At;
    }

    /// <summary>Waits for the account's status; returns when it arrived.</summary>
    public async Task<long> WaitForStatusAsync(string accountId, AccountStatus status, long since, TimeSpan deadline, Func<string> seen)
    {
        await Wait.UntilAsync(() => Since<AccountStatusChanged>(since).Any(e => e.Message.AccountId == accountId && e.Message.Status == status), deadline, seen);
        return Since<AccountStatusChanged>(since).First(e => e.Message.AccountId == accountId && e.Message.Status == status).At;
    }

    public string Describe() => string.Join("; ", _events.TakeLast(30).Select(e => e.Message switch
    {
        AuthenticationStateChanged a => $"{a.AccountId} {a.State}{(a.Reason is null ? "" : "/" + a.Reason)}",
        AccountStatusChanged s => $"{s.AccountId} {s.Status}{(s.Reason is null ? "" : "/" + s.Reason)}",
        CommandRejected r => $"{r.AccountId} {r.Command} rejected {r.Reason}",
        var other => other.ToString(),
    }));
}
