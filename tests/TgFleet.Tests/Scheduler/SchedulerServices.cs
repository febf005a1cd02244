using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using TgFleet.Contracts.Campaigns;
using TgFleet.Scheduler;
using TgFleet.Scheduler.Campaigns;
using TgFleet.Scheduler.Dispatch;
using TgFleet.Testing;

namespace TgFleet.Tests.Scheduler;

/// <summary>A clock the test moves by hand (the scheduler reads time only through TimeProvider).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>
/// The scheduler's services in-process on a database and a virtual host of their own, on a
/// <see cref="ManualClock"/>: each <see cref="Restart"/> builds them anew (as a restarted scheduler
/// would), so whatever they remember is what PostgreSQL holds. The SendMessage commands go to
/// shard exchanges no worker reads: these fixtures judge by the deliveries' rows.
/// </summary>
internal sealed class SchedulerServices : IAsyncDisposable
{
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly IOptions<CampaignOptions> _options;

    private SchedulerServices(TestDatabase database, TestVirtualHost vhost, IBusControl bus, ManualClock clock, CampaignOptions options)
    {
        Database = database;
        VirtualHost = vhost;
        Bus = bus;
        Clock = clock;
        _options = Options.Create(options);
        Db = NpgsqlDataSource.Create(database.ConnectionString);
        Restart();
    }

    public TestDatabase Database { get; }

    public TestVirtualHost VirtualHost { get; }

    public IBusControl Bus { get; }

    public ManualClock Clock { get; }

    public NpgsqlDataSource Db { get; }

    public CampaignStore Store { get; private set; } = null!;

    public RecipientImport Import { get; private set; } = null!;

    public CampaignDispatcher Dispatcher { get; private set; } = null!;

    public OutcomeRecorder Outcomes { get; private set; } = null!;

    public CampaignLifecycle Lifecycle { get; private set; } = null!;

    public List<object> Published { get; } = [];

    public static async Task<SchedulerServices> StartAsync(DateTimeOffset now, CampaignOptions? options = null)
    {
        var database = await TestInfrastructure.CreateDatabaseAsync();
        var vhost = await TestInfrastructure.CreateVirtualHostAsync();
        SchedulerServices? services = null;
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(vhost.AmqpUri);
            cfg.ReceiveEndpoint("services-test-events", e =>
            {
                e.Handler<CampaignPaused>(c => services!.Add(c.Message));
                e.Handler<CampaignResumed>(c => services!.Add(c.Message));
                e.Handler<CampaignCompleted>(c => services!.Add(c.Message));
            });
        });
        await bus.StartAsync(TimeSpan.FromSeconds(30));
        services = new SchedulerServices(database, vhost, bus, new ManualClock(now), options ?? new CampaignOptions { ShardCount = 8 });
        return services;
    }

    /// <summary>New service instances: nothing survives but the database.</summary>
    public void Restart()
    {
        var metrics = new SchedulerMetrics(_metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        Store = new CampaignStore(Db);
        Import = new RecipientImport(Db);
        Dispatcher = new CampaignDispatcher(Db, Bus, _options, Clock, metrics, NullLogger<CampaignDispatcher>.Instance);
        Outcomes = new OutcomeRecorder(Db, _options, Clock, metrics, NullLogger<OutcomeRecorder>.Instance);
        Lifecycle = new CampaignLifecycle(Db, Bus, _options, Clock, metrics, NullLogger<CampaignLifecycle>.Instance);
    }

    /// <summary>Online accounts to send from.</summary>
    public async Task<string[]> AccountsAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => "acct-" + Guid.NewGuid().ToString("N")[..12]).ToArray();
        await using var conn = await Db.OpenConnectionAsync();
        await conn.ExecuteAsync("INSERT INTO accounts (account_id, shard, status) SELECT id, 0, 'online' FROM unnest(@Ids) AS id", new { Ids = ids });
        return ids;
    }

    /// <summary>Stores a started campaign and its recipients (user ids 1000…).</summary>
    public async Task<Guid> CampaignAsync(string[] senders, CampaignPacing pacing, int recipients, long firstUserId = 1000)
    {
        var campaignId = Guid.NewGuid();
        Assert(await Store.CreateAsync(new StartCampaign(Guid.NewGuid(), campaignId, "paced", senders, new MessageTemplate("hello"), pacing), Clock.Now, null, default));
        var batch = Enumerable.Range(0, recipients).Select(i => new CampaignRecipient(TgFleet.Contracts.Messaging.Recipient.User(firstUserId + i))).ToList();
        var (refusal, _) = await Import.ImportAsync(new AddCampaignRecipients(Guid.NewGuid(), campaignId, Guid.NewGuid(), batch), Clock.Now, default);
        Assert(refusal == ImportRefusal.None);
        return campaignId;
    }

    /// <summary>Deliveries of a campaign by state.</summary>
    public async Task<IReadOnlyDictionary<string, int>> StatesAsync(Guid campaignId)
    {
        await using var conn = await Db.OpenConnectionAsync();
        var rows = await conn.QueryAsync<(string State, int Count)>(
            "SELECT state, count(*)::integer FROM campaign_deliveries WHERE campaign_id = @CampaignId GROUP BY state", new { CampaignId = campaignId });
        return rows.ToDictionary(r => r.State, r => r.Count);
    }

    /// <summary>The dispatched deliveries: their sender, attempt and command id.</summary>
    public async Task<IReadOnlyList<(long DeliveryId, string Sender, int Attempt, Guid CommandId)>> DispatchedAsync(Guid campaignId)
    {
        await using var conn = await Db.OpenConnectionAsync();
        return (await conn.QueryAsync<(long, string, int, Guid)>(
            "SELECT delivery_id, sender, attempt, command_id FROM campaign_deliveries WHERE campaign_id = @CampaignId AND state = 'dispatched' ORDER BY delivery_id",
            new { CampaignId = campaignId })).AsList();
    }

    public IReadOnlyList<T> Events<T>()
    {
        lock (Published)
        {
            return Published.OfType<T>().ToList();
        }
    }

    private Task Add(object message)
    {
        lock (Published)
        {
            Published.Add(message);
        }

        return Task.CompletedTask;
    }

    private static void Assert(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Setting the campaign up failed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.StopAsync(TimeSpan.FromSeconds(30));
        await Db.DisposeAsync();
        await _metrics.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
