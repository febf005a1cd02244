using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NUnit.Framework;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Sharding;

[TestFixture, Category("Worker")]
public sealed class When_commands_for_one_account_arrive_together
{
    private TestVirtualHost _vhost = null!;

    [SetUp]
    public async Task CreateVirtualHost() => _vhost = await TestInfrastructure.CreateVirtualHostAsync();

    [TearDown]
    public async Task DeleteVirtualHost() => await _vhost.DisposeAsync();

    [Test]
    public async Task They_run_one_at_a_time_in_order_while_other_accounts_of_the_shard_run_beside_them()
    {
        var runs = new ConcurrentQueue<Run>();
        // The worker as AddWorker composes it, whose shard endpoints consume with a slow recorder in
        // place of the worker's consumers (the endpoints' lanes and limits are the worker's own).
        var settings = WorkerHost.WithoutAccounts();
        settings["RabbitMq:Uri"] = _vhost.AmqpUri.ToString();
        settings["Shards:Count"] = "2";
        var builder = WorkerHost.CreateBuilder(settings);
        builder.Services.Replace(ServiceDescriptor.Singleton(new ShardConsumers((registration, endpoint) => endpoint.Handler<SendMessage>(async context =>
        {
            var started = Stopwatch.GetTimestamp();
            // Jitter: a later command of one account would overtake an earlier one if order were left to chance.
            await Task.Delay(Random.Shared.Next(5, 60), context.CancellationToken);
            runs.Enqueue(new Run(context.Message.AccountId, context.Message.Text, started, Stopwatch.GetTimestamp()));
        }))));
        using var host = builder.Build();
        var provider = host.Services;
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(TimeSpan.FromSeconds(30));
        try
        {
            await provider.GetRequiredService<ShardTopology>().DeclareAsync(default);
            // Four accounts of shard 0, one of shard 1.
            var accounts = Enumerable.Range(0, 200).Select(i => $"account-{i}").Where(a => ShardAddressing.ShardOf(a, 2) == 0).Take(4)
                .Append(Enumerable.Range(0, 200).Select(i => $"account-{i}").First(a => ShardAddressing.ShardOf(a, 2) == 1)).ToArray();
            var sent = new List<SendMessage>();
            for (var i = 0; i < 12; i++)
            {
                foreach (var account in accounts)
                {
                    var command = new SendMessage(Guid.NewGuid(), account, Recipient.Username("carol"), $"{i}");
                    sent.Add(command);
                    await bus.SendToShard(command, shardCount: 2);
                }
            }

            await provider.GetRequiredService<ShardEndpoints>().StartAsync(new ShardLease(0, 1), default);
            await provider.GetRequiredService<ShardEndpoints>().StartAsync(new ShardLease(1, 1), default);
            await Wait.UntilAsync(() => runs.Count == sent.Count, TimeSpan.FromSeconds(30), () => $"{runs.Count} of {sent.Count} ran");

            foreach (var account in accounts)
            {
                var mine = runs.Where(r => r.AccountId == account).OrderBy(r => r.Started).ToList();
                Assert.That(mine.Select(r => r.Text), Is.EqualTo(sent.Where(s => s.AccountId == account).Select(s => s.Text)), $"{account}: in order");
                Assert.That(mine.Zip(mine.Skip(1)).All(pair => pair.First.Ended <= pair.Second.Started), Is.True, $"{account}: one at a time");
            }

            Assert.That(runs.Any(a => runs.Any(b => a.AccountId != b.AccountId && ShardAddressing.ShardOf(a.AccountId, 2) == ShardAddressing.ShardOf(b.AccountId, 2)
                && a.Started < b.Ended && b.Started < a.Ended)), Is.True, "accounts of the same shard ran concurrently");
        }
        finally
        {
            await bus.StopAsync(TimeSpan.FromSeconds(30));
        }
    }

    private sealed record Run(string AccountId, string Text, long Started, long Ended);
}
