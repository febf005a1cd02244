using MassTransit;
using NUnit.Framework;
using TgFleet.Cli;
using TgFleet.Cli.Accounts;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Queries;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli;

/// <summary>
/// A worker publishes an account's status (<see cref="AccountStatusChanged"/>) and its login state
/// (<see cref="AuthenticationStateChanged"/>) as two events whose order is not fixed. tgfleet's
/// <see cref="Login"/> ends "online" whichever comes first. Here the test plays the worker's part on
/// the real broker (its shard queue and its events), so that the order is the test's choice: a
/// worker process cannot be made to publish them in a given order.
/// </summary>
[TestFixture, Category("Cli")]
public sealed class When_a_login_hears_online_and_ready_in_either_order
{
    private const int Shards = 8;
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);
    private static readonly string[] Online = ["logged in", "online"];
    private TestVirtualHost _vhost = null!;

    [OneTimeSetUp]
    public async Task CreateVirtualHost() => _vhost = await TestInfrastructure.CreateVirtualHostAsync();

    [OneTimeTearDown]
    public async Task DeleteVirtualHost() => await _vhost.DisposeAsync();

    [Test]
    public async Task Online_before_ready_ends_the_login_without_asking_for_the_status()
    {
        var asked = 0;
        var steps = await LogInAsync(
            async (context, authenticate) =>
            {
                await context.Publish(new AccountStatusChanged(authenticate.AccountId, AccountStatus.Online, DateTimeOffset.UnixEpoch));
                await Task.Delay(200); // arrives well before "ready"
                await context.Publish(new AuthenticationStateChanged(authenticate.CommandId, authenticate.AccountId, AuthenticationState.Ready, DateTimeOffset.UnixEpoch));
            },
            async context =>
            {
                // Never answered: had the login dropped the early "online", it would ask and time out.
                Interlocked.Increment(ref asked);
                await Task.CompletedTask;
            });

        Assert.That(steps, Is.EqualTo(Online));
        Assert.That(asked, Is.Zero, "the status was not asked: the early \"online\" counted");
    }

    [Test]
    public async Task Ready_before_online_waits_for_online()
    {
        string? account = null;
        var steps = await LogInAsync(
            async (context, authenticate) =>
            {
                account = authenticate.AccountId;
                await context.Publish(new AuthenticationStateChanged(authenticate.CommandId, authenticate.AccountId, AuthenticationState.Ready, DateTimeOffset.UnixEpoch));
            },
            async context =>
            {
                // Asked after "ready": not online yet. Then "online" comes.
                await context.RespondAsync(new AccountInfo(context.Message.AccountId, null, AccountStatus.Connecting, ShardAddressing.ShardOf(context.Message.AccountId, Shards)));
                await Task.Delay(300);
                await context.Publish(new AccountStatusChanged(context.Message.AccountId, AccountStatus.Online, DateTimeOffset.UnixEpoch));
            });

        Assert.That(steps, Is.EqualTo(Online));
        Assert.That(account, Is.Not.Null);
    }

    /// <summary>
    /// Runs <see cref="Login"/> for a new account while the test answers on the account's shard
    /// queue: <paramref name="onAuthenticate"/> for the Authenticate, <paramref name="onGetAccount"/>
    /// for a status query. Returns the login's progress after "sent".
    /// </summary>
    private async Task<string[]> LogInAsync(Func<ConsumeContext, Authenticate, Task> onAuthenticate, Func<ConsumeContext<GetAccount>, Task> onGetAccount)
    {
        var accountId = "either-" + Guid.NewGuid().ToString("N")[..12];
        var worker = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(_vhost.AmqpUri);
            cfg.ReceiveEndpoint(ShardAddressing.QueueNameOf(accountId, Shards), e =>
            {
                e.Handler<Authenticate>(context => onAuthenticate(context, context.Message));
                e.Handler<GetAccount>(context => onGetAccount(context));
            });
        });
        await worker.StartAsync(TimeSpan.FromSeconds(30));
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using var bus = await FleetBus.ConnectAsync(_vhost.AmqpUri, Shards, Answer, Login.Events, stop.Token);
            var steps = new List<string>();
            await new Login(bus).RunAsync(accountId, "+15550001234", new NoSecrets(), steps.Add, stop.Token);
            return [.. steps.Skip(1)];
        }
        finally
        {
            await worker.StopAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>These logins never ask for a code or a password.</summary>
    private sealed class NoSecrets : ILoginSecrets
    {
        public Task<string> CodeAsync(string accountId, string? delivery, bool retry, CancellationToken cancellationToken) =>
            throw new AssertionException("no code was asked for");

        public Task<string> PasswordAsync(string accountId, string? hint, bool retry, CancellationToken cancellationToken) =>
            throw new AssertionException("no password was asked for");
    }
}
