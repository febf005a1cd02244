using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Simulator;
using TgFleet.Simulator.Backend;
using TgFleet.Tdlib;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;
using TgFleet.Worker;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Fencing;
using TgFleet.Worker.Messaging;
using TgFleet.Worker.Proxies;
using TgFleet.Worker.Sessions;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Accounts;

/// <summary>
/// A real in-process simulator, a real PostgreSQL database with a live lease on every shard at
/// <see cref="LeaseEpoch"/>, a session cipher, captured logs and observed login states. One per
/// fixture; each "worker" (<see cref="NewWorker"/>) gets its own backend, manager and directory.
/// </summary>
internal sealed class AccountTestBed : IAsyncDisposable
{
    public const long LeaseEpoch = 7;
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly List<IHost> _hosts = [];
    private readonly List<AccountRuntime> _runtimes = [];
    private AccountProxies? _proxies;

    private AccountTestBed(SimulatorHarness sim, TestDatabase db)
    {
        Sim = sim;
        Database = db;
        Db = NpgsqlDataSource.Create(db.ConnectionString);
        Cipher = new SessionCipher(Options.Create(new SessionOptions
        {
            ActiveKeyId = "k1",
            Keys = new() { ["k1"] = KeyOne },
        }));
        Sessions = new SessionStore(Db);
        Accounts = new AccountStore(Db);
        OptOuts = new OptOutStore(Db);
        Root = TestInfrastructure.CreateTempDirectory("accounts");
    }

    public SimulatorHarness Sim { get; }

    /// <summary>The session master key "k1" of this bed (base64).</summary>
    public string KeyOne { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public TestDatabase Database { get; }

    public NpgsqlDataSource Db { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    public RecordingObserver Observed { get; } = new();

    public SessionCipher Cipher { get; }

    public SessionStore Sessions { get; }

    public AccountStore Accounts { get; }

    public string Root { get; }

    /// <summary>The sending settings every worker of this bed gets (tests may change them before NewWorker).</summary>
    public SendingOptions Sending { get; set; } = new() { MaxFloodWaitHold = TimeSpan.FromSeconds(2), ConfirmTimeout = TimeSpan.FromSeconds(20) };

    public OptOutStore OptOuts { get; }

    /// <summary>The proxy pool every worker of this bed gets (tests may set it before NewWorker).</summary>
    public ProxyOptions ProxyOptions { get; } = new();

    public AccountProxies Proxies => _proxies ??= new AccountProxies(Db, Cipher, Options.Create(ProxyOptions));

    public static async Task<AccountTestBed> StartAsync()
    {
        var bed = new AccountTestBed(await SimulatorHarness.StartAsync(), await TestInfrastructure.CreateDatabaseAsync());
        await using var conn = await bed.Db.OpenConnectionAsync();
        await conn.ExecuteAsync(new CommandDefinition("""
            INSERT INTO shard_leases (shard, owner, epoch, expires_at)
            SELECT s, 'test-worker', @Epoch, now() + interval '1 minute' FROM generate_series(0, @Last) AS s
            """, new { Epoch = LeaseEpoch, Last = ShardAddressing.DefaultShardCount - 1 }));
        return bed;
    }

    public static string NewAccountId() => "acct-" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Services as one worker has them (composed by <see cref="WorkerHost"/>: its own simulator
    /// backend, manager and data directory), reporting to <see cref="Observed"/> instead of the bus.
    /// </summary>
    public AccountRuntimeServices NewWorker(TimeSpan? loginStepTimeout = null) =>
        NewWorkerServices(loginStepTimeout).GetRequiredService<AccountRuntimeServices>();

    /// <summary>
    /// The container of a <see cref="NewWorker"/> (not started: no bus, no shard ownership), for a test
    /// that takes the worker's registry and send outcomes from it. Disposed with the bed.
    /// </summary>
    public IServiceProvider NewWorkerServices(TimeSpan? loginStepTimeout = null)
    {
        var builder = WorkerBuilder(loginStepTimeout);
        builder.Services.Replace(ServiceDescriptor.Singleton<IAccountEvents>(Observed));
        return Keep(builder.Build());
    }

    /// <summary>
    /// A worker (composed by <see cref="WorkerHost"/>) over this bed (its database, session key,
    /// sending and proxy settings) whose bus is MassTransit's in-memory test harness: the account
    /// runtimes and the worker's consumers behind the command pipeline on one endpoint,
    /// <see cref="ShardQueue"/>. The bed starts shards itself (<c>AccountRegistry.StartShardAsync</c>
    /// at <see cref="LeaseEpoch"/>), so the worker's shard ownership, its topology declaration and its
    /// broker-pause watch (there is no broker) do not run. Disposed with the bed.
    /// </summary>
    public IServiceProvider BuildWorkerServices(TimeSpan? loginStepTimeout = null)
    {
        var builder = WorkerBuilder(loginStepTimeout);
        builder.Services.RemoveHostedService<ShardOwnership>();
        builder.Services.RemoveHostedService<DeclareShardTopologyOnStart>();
        builder.Services.RemoveHostedService<PauseWatch>();
        builder.Services.AddMassTransitTestHarness(bus =>
            bus.UsingInMemory((context, cfg) => cfg.ReceiveEndpoint(ShardQueue, e => WorkerConsumers.ConfigureCommandEndpoint(context, e))));
        return Keep(builder.Build());
    }

    /// <summary>The in-memory endpoint of <see cref="BuildWorkerServices"/>: every per-account command and query is consumed there.</summary>
    public const string ShardQueue = "tgfleet.shard.test";

    private HostApplicationBuilder WorkerBuilder(TimeSpan? loginStepTimeout)
    {
        var settings = WorkerHost.Simulator(Sim.Server.BackendAddress, Path.Combine(Root, Guid.NewGuid().ToString("N")));
        settings["Telegram:LoginStepTimeout"] = WorkerHost.Span(loginStepTimeout ?? TimeSpan.FromSeconds(10));
        settings["Database:ConnectionString"] = Database.ConnectionString;
        settings["Sessions:ActiveKeyId"] = "k1";
        settings["Sessions:Keys:k1"] = KeyOne;
        // Never connected to (the bus is the test harness, or not started), only resolved with shard ownership.
        settings["RabbitMq:Uri"] = "amqp://guest:guest@127.0.0.1:9/unused";
        var builder = WorkerHost.CreateBuilder(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs);
        // The settings objects tests change before a worker is made.
        builder.Services.Replace(ServiceDescriptor.Singleton(Options.Create(Sending)));
        builder.Services.Replace(ServiceDescriptor.Singleton(Options.Create(ProxyOptions)));
        return builder;
    }

    private IServiceProvider Keep(IHost host)
    {
        _hosts.Add(host);
        return host.Services;
    }

    /// <summary>A started runtime for <paramref name="accountId"/> on <paramref name="worker"/>.</summary>
    public async Task<AccountRuntime> StartRuntimeAsync(AccountRuntimeServices worker, string accountId, StoredSession? restore = null, long epoch = LeaseEpoch)
    {
        var runtime = new AccountRuntime(accountId, ShardAddressing.ShardOf(accountId), worker);
        _runtimes.Add(runtime);
        await runtime.StartAsync(restore, epoch, CancellationToken.None);
        return runtime;
    }

    /// <summary>Logs <paramref name="accountId"/> in with the code the simulator delivered (and the password, if given).</summary>
    public async Task<AccountRuntime> LogInAsync(AccountRuntimeServices worker, string accountId, string phone, string? password = null)
    {
        var runtime = await StartRuntimeAsync(worker, accountId);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await Observed.WaitForAsync(accountId, AuthenticationState.AwaitingCode);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await Sim.CodeAsync(phone), CancellationToken.None);
        if (password is not null)
        {
            await Observed.WaitForAsync(accountId, AuthenticationState.AwaitingPassword);
            await runtime.Login.SubmitPasswordAsync(Guid.NewGuid(), password, CancellationToken.None);
        }

        await Observed.WaitForAsync(accountId, AuthenticationState.Ready);
        return runtime;
    }

    public async Task<CodeView> CodeViewAsync(string phone) =>
        (await Sim.Control.GetFromJsonAsync<CodeView>("control/codes/" + Uri.EscapeDataString(phone)))!;

    /// <summary>The control API's answer for the phone's pending login code: 404 when none was requested since the last sign-in.</summary>
    public async Task<System.Net.HttpStatusCode> PendingCodeStatusAsync(string phone)
    {
        using var response = await Sim.Control.GetAsync("control/codes/" + Uri.EscapeDataString(phone));
        return response.StatusCode;
    }

    /// <summary>The sessions row as stored: epoch, key id and blob, or null.</summary>
    public async Task<(long Epoch, string KeyId, byte[] Blob)?> SessionRowAsync(string accountId)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.QuerySingleOrDefaultAsync<(long, string, byte[])?>(new CommandDefinition(
            "SELECT epoch, key_id, blob FROM sessions WHERE account_id = @AccountId", new { AccountId = accountId }));
    }

    public async Task<(string? PhoneMasked, string Status)?> AccountRowAsync(string accountId)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return await conn.QuerySingleOrDefaultAsync<(string?, string)?>(new CommandDefinition(
            "SELECT phone_masked, status FROM accounts WHERE account_id = @AccountId", new { AccountId = accountId }));
    }

    public async Task MoveLeaseOnAsync(int shard)
    {
        await using var conn = await Db.OpenConnectionAsync();
        await conn.ExecuteAsync(new CommandDefinition("UPDATE shard_leases SET epoch = epoch + 1, owner = 'successor' WHERE shard = @Shard", new { Shard = shard }));
    }

    public async Task RestoreLeaseAsync(int shard)
    {
        await using var conn = await Db.OpenConnectionAsync();
        await conn.ExecuteAsync(new CommandDefinition("UPDATE shard_leases SET epoch = @Epoch, owner = 'test-worker' WHERE shard = @Shard", new { Shard = shard, Epoch = LeaseEpoch }));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var runtime in _runtimes)
        {
            await runtime.DisposeAsync();
        }

        foreach (var host in _hosts)
        {
            var manager = host.Services.GetService<TdClientManager>();
            await ((IAsyncDisposable)host).DisposeAsync();
            if (manager?.Backend is SimulatorTdJsonBackend backend)
            {
                await backend.DisposeAsync();
            }
        }

        await Sim.DisposeAsync();
        await Db.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>Every event the runtimes reported, in order.</summary>
internal sealed class RecordingObserver : IAccountEvents
{
    private readonly ConcurrentQueue<object> _events = new();

    /// <summary>The login states of <paramref name="accountId"/>, in order.</summary>
    public IReadOnlyList<AuthenticationStateChanged> Of(string accountId) => All<AuthenticationStateChanged>().Where(c => c.AccountId == accountId).ToList();

    /// <summary>Every event of type <typeparamref name="T"/>, in order.</summary>
    public IReadOnlyList<T> All<T>() => _events.OfType<T>().ToList();

    public Task PublishAsync<T>(T message, CancellationToken cancellationToken)
        where T : class
    {
        _events.Enqueue(message);
        return Task.CompletedTask;
    }

    public async Task<AuthenticationStateChanged> WaitForAsync(string accountId, AuthenticationState state, int occurrence = 1)
    {
        await Wait.UntilAsync(() => Of(accountId).Count(c => c.State == state) >= occurrence, AccountTestBed.Deadline,
            () => string.Join(", ", Of(accountId).Select(c => c.State + (c.Reason is null ? string.Empty : "/" + c.Reason))));
        return Of(accountId).Where(c => c.State == state).ElementAt(occurrence - 1);
    }

    /// <summary>Waits for the first event of type <typeparamref name="T"/> that matches.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match)
    {
        await Wait.UntilAsync(() => All<T>().Any(match), AccountTestBed.Deadline, () => string.Join(", ", _events.Select(e => e.ToString())));
        return All<T>().First(match);
    }
}

/// <summary>Every log line (message and exception) of every category.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string All => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Capturing(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => p.Key + "=" + p.Value)) : string.Empty;
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{structured}] {exception}");
        }
    }
}
