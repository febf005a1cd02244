using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_login_commands_arrive_on_the_bus
{
    private AccountTestBed _bed = null!;
    private ServiceProvider _services = null!;
    private ITestHarness _harness = null!;
    private AccountRegistry _registry = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await AccountTestBed.StartAsync();
        var worker = _bed.NewWorker();
        _services = _bed.BuildWorkerServices(worker);
        _harness = _services.GetRequiredService<ITestHarness>();
        _harness.TestTimeout = TimeSpan.FromSeconds(60);
        await _harness.Start();
        _registry = _services.GetRequiredService<AccountRegistry>();
        for (var shard = 0; shard < ShardAddressing.DefaultShardCount; shard++)
        {
            await _registry.StartShardAsync(new ShardLease(shard, AccountTestBed.LeaseEpoch), CancellationToken.None);
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _registry.DisposeAsync();
        await _harness.Stop();
        await _services.DisposeAsync();
        await _bed.DisposeAsync();
    }

    private IEnumerable<AuthenticationStateChanged> Published(string account) =>
        _harness.Published.Select<AuthenticationStateChanged>().Select(m => m.Context.Message).Where(m => m.AccountId == account);

    [Test]
    public async Task A_code_login_publishes_each_state_and_stores_the_session()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();

        await _harness.Bus.Publish(new Authenticate(Guid.NewGuid(), account, phone));
        await Wait.UntilAsync(() => Published(account).Any(m => m.State == AuthenticationState.AwaitingCode), AccountTestBed.Deadline);
        await _harness.Bus.Publish(new SubmitAuthenticationCode(Guid.NewGuid(), account, await _bed.Sim.CodeAsync(phone)));
        await Wait.UntilAsync(() => Published(account).Any(m => m.State == AuthenticationState.Ready), AccountTestBed.Deadline);
        await Wait.UntilAsync(async () => await _bed.SessionRowAsync(account) is not null, AccountTestBed.Deadline);

        Assert.That((await _bed.SessionRowAsync(account))!.Value.Epoch, Is.EqualTo(AccountTestBed.LeaseEpoch));
    }

    [Test]
    public async Task A_redelivered_Authenticate_does_not_ask_for_a_second_code()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var command = new Authenticate(Guid.NewGuid(), account, phone);

        await _harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Published(account).Any(m => m.State == AuthenticationState.AwaitingCode), AccountTestBed.Deadline);
        var first = await _bed.CodeViewAsync(phone);
        await _harness.Bus.Publish(command);
        await Wait.UntilAsync(() => _harness.Consumed.Select<Authenticate>(m => m.Context.Message.CommandId == command.CommandId).Count() == 2, AccountTestBed.Deadline);
        await Wait.UntilAsync(() => _bed.Logs.All.Contains("Authenticate " + command.CommandId + " was delivered again", StringComparison.Ordinal), AccountTestBed.Deadline);

        var second = await _bed.CodeViewAsync(phone);
        Assert.That((second.Code, second.ExpiresAt), Is.EqualTo((first.Code, first.ExpiresAt)), "the simulator sent no second code");
        Assert.That(Published(account).Count(m => m.State == AuthenticationState.AwaitingCode && m.CommandId == command.CommandId), Is.EqualTo(2),
            "the redelivery is answered with where the login stands");
    }

    [Test]
    public async Task An_invalid_phone_is_rejected_before_Telegram_sees_it()
    {
        var account = AccountTestBed.NewAccountId();
        var command = new Authenticate(Guid.NewGuid(), account, "0044 not a phone");

        await _harness.Bus.Publish(command);
        await Wait.UntilAsync(() => _harness.Published.Select<CommandRejected>(m => m.Context.Message.CommandId == command.CommandId).Any(), AccountTestBed.Deadline);

        var rejected = _harness.Published.Select<CommandRejected>(m => m.Context.Message.CommandId == command.CommandId).Single().Context.Message;
        Assert.That((rejected.Field, rejected.Reason), Is.EqualTo(("Phone", "PHONE_MALFORMED")));
        Assert.That(_registry.Find(account), Is.Null);
    }

    [Test]
    public async Task A_code_for_an_account_without_a_login_is_rejected()
    {
        var account = AccountTestBed.NewAccountId();
        var command = new SubmitAuthenticationCode(Guid.NewGuid(), account, "12345");

        await _harness.Bus.Publish(command);
        await Wait.UntilAsync(() => _harness.Published.Select<CommandRejected>(m => m.Context.Message.CommandId == command.CommandId).Any(), AccountTestBed.Deadline);

        var rejected = _harness.Published.Select<CommandRejected>(m => m.Context.Message.CommandId == command.CommandId).Single().Context.Message;
        Assert.That(rejected.Reason, Is.EqualTo("ACCOUNT_UNKNOWN"));
        Assert.That(_bed.Logs.All, Does.Not.Contain("12345"));
    }

    [Test]
    public async Task A_code_for_a_login_its_shard_move_interrupted_says_so()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        await _harness.Bus.Publish(new Authenticate(Guid.NewGuid(), account, phone));
        await Wait.UntilAsync(() => Published(account).Any(m => m.State == AuthenticationState.AwaitingCode), AccountTestBed.Deadline);
        var lease = new ShardLease(_registry.ShardOf(account), AccountTestBed.LeaseEpoch);
        await _registry.StopShardAsync(lease, graceful: true, CancellationToken.None);
        await _registry.StartShardAsync(lease, CancellationToken.None);
        var code = new SubmitAuthenticationCode(Guid.NewGuid(), account, await _bed.Sim.CodeAsync(phone));

        await _harness.Bus.Publish(code);
        await Wait.UntilAsync(() => _harness.Published.Select<CommandRejected>(m => m.Context.Message.CommandId == code.CommandId).Any(), AccountTestBed.Deadline);

        var rejected = _harness.Published.Select<CommandRejected>(m => m.Context.Message.CommandId == code.CommandId).Single().Context.Message;
        Assert.That(rejected.Reason, Is.EqualTo("LOGIN_INTERRUPTED"));
        Assert.That(rejected.Detail, Does.Contain("Authenticate again"));
    }
}
