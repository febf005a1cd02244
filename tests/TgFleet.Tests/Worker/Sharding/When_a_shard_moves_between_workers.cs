using System.Collections.Concurrent;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using NUnit.Framework;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Sharding;

/// <summary>
/// Two workers on the real broker and database: commands sent to shard exchanges are consumed by
/// whichever worker owns the shard, wait while nobody does, and are consumed exactly once across
/// joins, hand-overs and a shard coming back to a worker that had it before.
/// </summary>
[TestFixture, Category("Worker")]
public sealed class When_a_shard_moves_between_workers
{
    private const int Shards = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<Guid, ConcurrentBag<string>> _consumed = new();
    private TestDatabase _db = null!;
    private TestVirtualHost _vhost = null!;

    [SetUp]
    public async Task Prepare()
    {
        _db = await TestInfrastructure.CreateDatabaseAsync();
        _vhost = await TestInfrastructure.CreateVirtualHostAsync();
    }

    [TearDown]
    public async Task CleanUp()
    {
        await _db.DisposeAsync();
        await _vhost.DisposeAsync();
    }

    [Test]
    public async Task Every_command_is_consumed_exactly_once_by_the_shards_owner()
    {
        await using var a = await StartWorkerBusAsync("a");
        await using var b = await StartWorkerBusAsync("b");
        await a.Topology.DeclareAsync(default);

        // Nobody owns a shard yet: the commands wait in the shard queues.
        var batch1 = await SendAsync(a.Bus, 20);
        var ownerA = a.Ownership();
        await ownerA.StartAsync(default);
        await Wait.UntilAsync(() => batch1.All(_consumed.ContainsKey), Deadline, Seen);
        Assert.That(batch1.SelectMany(id => _consumed[id]), Is.All.EqualTo("a"));

        // b joins: the shards split, and new commands go to whichever owns their shard.
        var ownerB = b.Ownership();
        await ownerB.StartAsync(default);
        await Wait.UntilAsync(() => ownerA.Owned.Count == 2 && ownerB.Owned.Count == 2, Deadline);
        var batch2 = await SendAsync(a.Bus, 40);
        await Wait.UntilAsync(() => batch2.All(_consumed.ContainsKey), Deadline, Seen);
        Assert.That(batch2.SelectMany(id => _consumed[id]), Does.Contain("a").And.Contain("b"));

        // a hands over on shutdown: b consumes everything.
        await ownerA.StopAsync(default);
        await Wait.UntilAsync(() => ownerB.Owned.Count == Shards, Deadline);
        var batch3 = await SendAsync(b.Bus, 20);
        await Wait.UntilAsync(() => batch3.All(_consumed.ContainsKey), Deadline, Seen);
        Assert.That(batch3.SelectMany(id => _consumed[id]), Is.All.EqualTo("b"));

        // a comes back on the same bus: shards it consumed before are connected again.
        var ownerA2 = a.Ownership();
        await ownerA2.StartAsync(default);
        await Wait.UntilAsync(() => ownerA2.Owned.Count == 2 && ownerB.Owned.Count == 2, Deadline);
        var batch4 = await SendAsync(b.Bus, 40);
        await Wait.UntilAsync(() => batch4.All(_consumed.ContainsKey), Deadline, Seen);

        await ownerA2.StopAsync(default);
        await ownerB.StopAsync(default);
        var all = batch1.Concat(batch2).Concat(batch3).Concat(batch4).ToList();
        Assert.That(all.Where(id => _consumed[id].Count != 1), Is.Empty, "consumed exactly once");
        Assert.That(_consumed.Keys, Is.EquivalentTo(all));
    }

    private string Seen() => $"{_consumed.Count} consumed";

    private static async Task<List<Guid>> SendAsync(IBus bus, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var command = new SendMessage(Guid.NewGuid(), $"acct-{i}", Recipient.Username("alice"), "hi");
            ids.Add(command.CommandId);
            await bus.SendToShard(command, Shards);
        }

        return ids;
    }

    /// <summary>
    /// A worker as AddWorker composes it, its bus started, whose shards run on their endpoints alone
    /// (no accounts) and consume with a recorder in place of the worker's consumers.
    /// </summary>
    private async Task<WorkerBus> StartWorkerBusAsync(string name)
    {
        var settings = WorkerHost.WithoutAccounts();
        settings["Database:ConnectionString"] = _db.ConnectionString;
        settings["RabbitMq:Uri"] = _vhost.AmqpUri.ToString();
        settings["Shards:Count"] = Shards.ToString(CultureInfo.InvariantCulture);
        settings["Shards:WorkerId"] = name;
        settings["Shards:LeaseTtl"] = WorkerHost.Span(TimeSpan.FromSeconds(5));
        settings["Shards:RenewInterval"] = WorkerHost.Span(TimeSpan.FromMilliseconds(300));
        settings["Shards:FenceMargin"] = WorkerHost.Span(TimeSpan.FromSeconds(2));
        var builder = WorkerHost.CreateBuilder(settings);
        builder.Services.Replace(ServiceDescriptor.Singleton(new ShardConsumers((registration, endpoint) => endpoint.Handler<SendMessage>(context =>
        {
            _consumed.GetOrAdd(context.Message.CommandId, id => []).Add(name);
            return Task.CompletedTask;
        }))));
        builder.Services.Replace(ServiceDescriptor.Singleton<IShardHost>(sp => sp.GetRequiredService<ShardEndpoints>()));
        var host = builder.Build();
        var control = host.Services.GetRequiredService<IBusControl>();
        await control.StartAsync(Deadline);
        return new WorkerBus(host, control);
    }

    private sealed class WorkerBus(IHost host, IBusControl bus) : IAsyncDisposable
    {
        public IBus Bus => bus;

        public ShardTopology Topology => host.Services.GetRequiredService<ShardTopology>();

        /// <summary>A new ShardOwnership of this worker (one per start: a stopped one is not started again).</summary>
        public ShardOwnership Ownership() => ActivatorUtilities.CreateInstance<ShardOwnership>(host.Services);

        public async ValueTask DisposeAsync()
        {
            await bus.StopAsync(TimeSpan.FromSeconds(30));
            host.Dispose();
        }
    }
}
