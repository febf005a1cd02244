using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Accounts;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Messaging;

/// <summary>
/// A worker's account consumers on MassTransit's test harness, over a real simulator and a real
/// PostgreSQL (<see cref="AccountTestBed"/>), owning every shard. Accounts log in through the
/// real Authenticate / SubmitAuthenticationCode commands.
/// </summary>
internal sealed class SendingBed : IAsyncDisposable
{
    private readonly IServiceProvider _services;

    private SendingBed(AccountTestBed bed, IServiceProvider services, ITestHarness harness)
    {
        Bed = bed;
        _services = services;
        Harness = harness;
        Registry = services.GetRequiredService<AccountRegistry>();
    }

    public AccountTestBed Bed { get; }

    public ITestHarness Harness { get; }

    public AccountRegistry Registry { get; }

    public IServiceProvider Services => _services;

    public SimulatorHarness Sim => Bed.Sim;

    public static async Task<SendingBed> StartAsync(Action<AccountTestBed>? configure = null)
    {
        var bed = await AccountTestBed.StartAsync();
        configure?.Invoke(bed);
        var provider = bed.BuildWorkerServices();
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(60);
        await harness.Start();
        var sending = new SendingBed(bed, provider, harness);
        for (var shard = 0; shard < ShardAddressing.DefaultShardCount; shard++)
        {
            await sending.Registry.StartShardAsync(new ShardLease(shard, AccountTestBed.LeaseEpoch), CancellationToken.None);
        }

        return sending;
    }

    /// <summary>Seeds an account in the simulator and logs it in through the bus; returns its account id.</summary>
    public async Task<(string AccountId, string Phone)> LogInAsync()
    {
        var (account, phone) = await StartLoginAsync();
        await SubmitCodeAsync(account, phone);
        return (account, phone);
    }

    /// <summary>Seeds an account in the simulator and sends its Authenticate; returns once its login waits for the code.</summary>
    public async Task<(string AccountId, string Phone)> StartLoginAsync()
    {
        var phone = SimulatorHarness.NewPhone();
        await Sim.SeedAccountAsync(phone);
        var account = AccountTestBed.NewAccountId();
        await Harness.Bus.Publish(new Authenticate(Guid.NewGuid(), account, phone));
        await Wait.UntilAsync(() => Published<AuthenticationStateChanged>(m => m.AccountId == account && m.State == AuthenticationState.AwaitingCode).Any(), AccountTestBed.Deadline);
        return (account, phone);
    }

    /// <summary>Sends the login code the simulator delivered for <paramref name="phone"/>; returns once the account is online.</summary>
    public async Task SubmitCodeAsync(string account, string phone)
    {
        await Harness.Bus.Publish(new SubmitAuthenticationCode(Guid.NewGuid(), account, await Sim.CodeAsync(phone)));
        await Wait.UntilAsync(() => Published<AccountStatusChanged>(m => m.AccountId == account && m.Status == AccountStatus.Online).Any(), AccountTestBed.Deadline);
    }

    /// <summary>Seeds a recipient with a username; returns its user id and username.</summary>
    public async Task<(long UserId, string Username, string Phone)> NewRecipientAsync(bool privacyRestricted = false, IReadOnlyList<TgFleet.Simulator.ScriptedReply>? replies = null)
    {
        var phone = SimulatorHarness.NewPhone();
        var username = "r" + Guid.NewGuid().ToString("N")[..12];
        var created = await Sim.SeedUserAsync(new TgFleet.Simulator.UserSeed(phone, "Rita", "Recipient", username, PrivacyRestricted: privacyRestricted, Replies: replies));
        return (created.UserId, username, phone);
    }

    public IEnumerable<T> Published<T>(Func<T, bool> match)
        where T : class => Harness.Published.Select<T>().Select(m => m.Context.Message).Where(match);

    /// <summary>Publishes <paramref name="command"/> and waits for its MessageSent, MessageFailed or CommandRejected (the <paramref name="occurrence"/>th).</summary>
    public async Task<object> SendAsync(SendMessage command, int occurrence = 1)
    {
        await Harness.Bus.Publish(command);
        return await OutcomeAsync(command.CommandId, occurrence);
    }

    public async Task<object> OutcomeAsync(Guid commandId, int occurrence = 1)
    {
        IEnumerable<object> Outcomes() => Published<MessageSent>(m => m.CommandId == commandId).Cast<object>()
            .Concat(Published<MessageFailed>(m => m.CommandId == commandId))
            .Concat(Published<CommandRejected>(m => m.CommandId == commandId));
        await Wait.UntilAsync(() => Outcomes().Count() >= occurrence, TimeSpan.FromSeconds(30));
        return Outcomes().ElementAt(occurrence - 1);
    }

    public async ValueTask DisposeAsync()
    {
        await Registry.DisposeAsync();
        await Harness.Stop();
        await Bed.DisposeAsync();
    }
}
