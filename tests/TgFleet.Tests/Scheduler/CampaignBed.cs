using System.Collections.Concurrent;
using MassTransit;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Campaigns;
using TgFleet.Contracts.Maintenance;
using TgFleet.Simulator;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Fleet;

namespace TgFleet.Tests.Scheduler;

/// <summary>
/// A fleet (<see cref="FleetBed"/>: simulator, database, virtual host, worker processes) with
/// scheduler processes, and an upstream bus that sends campaign commands and records the campaign
/// events. One per fixture.
/// </summary>
internal sealed class CampaignBed : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly List<SchedulerProcess> _schedulers = [];
    private readonly ConcurrentQueue<object> _events = new();

    private CampaignBed(FleetBed fleet, IBusControl bus)
    {
        Fleet = fleet;
        Bus = bus;
    }

    public FleetBed Fleet { get; }

    public IBusControl Bus { get; }

    public static async Task<CampaignBed> StartAsync()
    {
        var fleet = await FleetBed.StartAsync();
        CampaignBed? bed = null;
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(fleet.VirtualHost.AmqpUri);
            cfg.ReceiveEndpoint("campaign-test-events", e =>
            {
                e.Handler<CampaignStarted>(c => bed!.Add(c.Message));
                e.Handler<CampaignRecipientsAdded>(c => bed!.Add(c.Message));
                e.Handler<CampaignProgress>(c => bed!.Add(c.Message));
                e.Handler<CampaignPaused>(c => bed!.Add(c.Message));
                e.Handler<CampaignResumed>(c => bed!.Add(c.Message));
                e.Handler<CampaignCompleted>(c => bed!.Add(c.Message));
                e.Handler<CampaignRejected>(c => bed!.Add(c.Message));
                e.Handler<CleanupCompleted>(c => bed!.Add(c.Message));
            });
        });
        bed = new CampaignBed(fleet, bus);
        await bus.StartAsync(TimeSpan.FromSeconds(30));
        return bed;
    }

    /// <summary>Starts scheduler replicas and waits until each is ready.</summary>
    public async Task<SchedulerProcess[]> StartSchedulersAsync(IReadOnlyDictionary<string, string>? settings, params string[] ids)
    {
        var started = ids.Select(id => SchedulerProcess.Start(Fleet, id, settings)).ToArray();
        _schedulers.AddRange(started);
        await Task.WhenAll(started.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(90))));
        return started;
    }

    /// <summary>Sends a campaign command to <c>tgfleet.campaigns</c>.</summary>
    public async Task SendAsync<T>(T command)
        where T : class
    {
        var endpoint = await Bus.GetSendEndpoint(CampaignAddressing.Address);
        await endpoint.Send(command);
    }

    /// <summary>The campaign events received of type <typeparamref name="T"/>.</summary>
    public IReadOnlyList<T> Events<T>() => _events.OfType<T>().ToList();

    /// <summary>Waits for an event of type <typeparamref name="T"/> that matches.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match, TimeSpan? deadline = null)
    {
        await Wait.UntilAsync(() => Events<T>().Any(match), deadline ?? Deadline, Describe);
        return Events<T>().First(match);
    }

    /// <summary>Asks GetCampaign.</summary>
    public async Task<CampaignStatus> StatusAsync(Guid campaignId)
    {
        var client = Bus.CreateRequestClient<GetCampaign>(CampaignAddressing.Address, RequestTimeout.After(s: 30));
        var response = await client.GetResponse<CampaignStatus>(new GetCampaign(Guid.NewGuid(), campaignId));
        return response.Message;
    }

    /// <summary>Accounts the fleet knows, online, without logging them in (for campaigns no worker sends).</summary>
    public async Task<string[]> AccountsAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => "acct-" + Guid.NewGuid().ToString("N")[..12]).ToArray();
        await using var conn = await Fleet.Db.OpenConnectionAsync();
        await Dapper.SqlMapper.ExecuteAsync(conn, "INSERT INTO accounts (account_id, shard, status) SELECT id, 0, 'online' FROM unnest(@Ids) AS id", new { Ids = ids });
        return ids;
    }

    /// <summary>A simulated recipient with a username.</summary>
    public async Task<string> SeedRecipientAsync(string name)
    {
        var username = "r" + Guid.NewGuid().ToString("N")[..12];
        await Fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), name, Username: username));
        return username;
    }

    /// <summary>What the simulator says <paramref name="username"/> received (the independent witness).</summary>
    public async Task<IReadOnlyList<string>> ReceivedAsync(string username) => (await Fleet.Sim.ReceivedAsync("@" + username)).Select(m => m.Text).ToList();

    public string Describe() =>
        "Campaign events: " + string.Join("; ", _events.TakeLast(20)) + "\n" + Fleet.Describe() + "\n" + string.Join('\n', _schedulers.Select(s => s.Tail()));

    private Task Add(object message)
    {
        _events.Enqueue(message);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var scheduler in _schedulers)
        {
            await scheduler.DisposeAsync();
            if (Environment.GetEnvironmentVariable("TGFLEET_FLEET_LOGS") == "1")
            {
                NUnit.Framework.TestContext.Progress.WriteLine(scheduler.Tail(int.MaxValue));
            }
        }

        await Bus.StopAsync(TimeSpan.FromSeconds(30));
        await Fleet.DisposeAsync();
    }
}
