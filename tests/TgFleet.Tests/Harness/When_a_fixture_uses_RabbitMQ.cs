using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Harness;

[TestFixture, Category("Harness")]
public sealed class When_a_fixture_uses_RabbitMQ
{
    private TestVirtualHost _vhost = null!;

    [OneTimeSetUp]
    public async Task CreateVirtualHost() => _vhost = await TestInfrastructure.CreateVirtualHostAsync();

    [OneTimeTearDown]
    public async Task DeleteVirtualHost() => await _vhost.DisposeAsync();

    [Test]
    public async Task A_MassTransit_publish_is_consumed_through_the_throwaway_broker()
    {
        var received = new TaskCompletionSource<HarnessPing>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var provider = new ServiceCollection()
            .AddSingleton(received)
            .AddMassTransit(bus =>
            {
                bus.AddConsumer<HarnessPingConsumer>();
                bus.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(_vhost.AmqpUri);
                    cfg.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider(validateScopes: true);
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync(TimeSpan.FromSeconds(30));
        try
        {
            var ping = new HarnessPing(Guid.NewGuid());
            await bus.Publish(ping);

            var got = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(got.Id, Is.EqualTo(ping.Id));
        }
        finally
        {
            await bus.StopAsync(TimeSpan.FromSeconds(30));
        }

        // Independent evidence: the broker itself holds the consumer's queue in this vhost.
        var queues = await _vhost.Server.GetManagementJsonAsync($"queues/{Uri.EscapeDataString(_vhost.Name)}");
        Assert.That(queues, Does.Contain("HarnessPing"));
    }

    public sealed record HarnessPing(Guid Id);

    public sealed class HarnessPingConsumer(TaskCompletionSource<HarnessPing> received) : IConsumer<HarnessPing>
    {
        public Task Consume(ConsumeContext<HarnessPing> context)
        {
            received.TrySetResult(context.Message);
            return Task.CompletedTask;
        }
    }
}
