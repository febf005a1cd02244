using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Accounts;

[TestFixture, Category("Worker")]
public sealed class When_login_commands_arrive_on_the_bus
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
    private AccountTestBed _bed = null!;
    private IServiceProvider _services = null!;
    private ITestHarness _harness = null!;
    private AccountRegistry _registry = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await AccountTestBed.StartAsync();
        _services = _bed.BuildWorkerServices();
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

    [Test]
    public async Task An_Authenticate_for_a_shard_not_held_here_is_refused_for_now_and_its_retry_runs()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var command = new Authenticate(Guid.NewGuid(), account, phone);
        var lease = new ShardLease(_registry.ShardOf(account), AccountTestBed.LeaseEpoch);
        await _registry.StopShardAsync(lease, graceful: true, CancellationToken.None);

        await _harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Rejections(command.CommandId).Any(), AccountTestBed.Deadline);
        await _harness.Consumed.Any<Authenticate>(m => m.Context.Message.CommandId == command.CommandId);
        var journalled = await JournalStateAsync(command.CommandId);
        await _registry.StartShardAsync(lease, CancellationToken.None);
        await _harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Published(account).Any(m => m.CommandId == command.CommandId && m.State == AuthenticationState.AwaitingCode), AccountTestBed.Deadline);

        var rejected = Rejections(command.CommandId).Single();
        Assert.That((rejected.Field, rejected.Reason, rejected.Permanent), Is.EqualTo(("AccountId", "SHARD_NOT_OWNED", false)));
        Assert.That(journalled, Is.Null, "a not-now refusal records nothing");
        Assert.That(await JournalStateAsync(command.CommandId), Is.EqualTo("succeeded"), "the retry under the same CommandId ran");
    }

    [Test]
    public async Task A_not_now_refusal_an_earlier_version_recorded_as_final_runs_on_its_retry()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        var command = new Authenticate(Guid.NewGuid(), account, phone);
        var journal = _services.GetRequiredService<CommandJournal>();
        await journal.BeginAsync(command.CommandId, account, nameof(Authenticate), JournalEntry.BodyHash(command));
        var recorded = new CommandRejected(command.CommandId, account, nameof(Authenticate), "AccountId", "SHARD_NOT_OWNED", TimeProvider.System.GetUtcNow());
        await journal.MoveAsync(command.CommandId, CommandState.Accepted, CommandState.Failed,
            System.Text.Json.JsonSerializer.Serialize(recorded, Json), CancellationToken.None);

        await _harness.Bus.Publish(command);
        await Wait.UntilAsync(() => Published(account).Any(m => m.CommandId == command.CommandId && m.State == AuthenticationState.AwaitingCode), AccountTestBed.Deadline);

        Assert.That(Rejections(command.CommandId), Is.Empty, "not answered with the recorded refusal");
        Assert.That(await JournalStateAsync(command.CommandId), Is.EqualTo("succeeded"));
    }

    private IEnumerable<CommandRejected> Rejections(Guid commandId) =>
        _harness.Published.Select<CommandRejected>(m => m.Context.Message.CommandId == commandId).Select(m => m.Context.Message);

    private async Task<string?> JournalStateAsync(Guid commandId)
    {
        await using var conn = await _bed.Db.OpenConnectionAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<string?>(conn, "SELECT state FROM command_journal WHERE command_id = @Id", new { Id = commandId });
    }
}
