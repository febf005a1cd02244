using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Testing;
using TgFleet.Tests.Worker.Messaging;
using TgFleet.Worker.Proxies;

namespace TgFleet.Tests.Worker.Proxies;

[TestFixture, Category("Worker")]
public sealed class When_a_proxy_fails
{
    private const string First = "proxy-a.fleet.test";
    private const string Second = "proxy-b.fleet.test";
    private SendingBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _bed = await SendingBed.StartAsync(bed =>
    {
        bed.ProxyOptions.Pool.Add(new PoolProxy { Kind = ProxyKind.Socks5, Server = First, Port = 1080 });
        bed.ProxyOptions.Pool.Add(new PoolProxy { Kind = ProxyKind.Socks5, Server = Second, Port = 1080 });
        bed.ProxyOptions.TestTimeout = TimeSpan.FromSeconds(1);
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Its_accounts_move_to_a_healthy_proxy_of_the_pool_and_keep_sending()
    {
        var (account, _) = await _bed.LogInAsync();
        var assigned = _bed.Published<AccountProxyChanged>(p => p.AccountId == account).Single();
        Assert.That(assigned.Reason, Is.EqualTo("POOL_ASSIGNED"));
        var failing = assigned.Server!;
        var other = failing == First ? Second : First;
        var to = await _bed.NewRecipientAsync();
        await _bed.Sim.SetProxyDownAsync(failing, 1080, down: true);
        var checks = _bed.Services.GetRequiredService<ProxyHealthChecks>();

        var moved = await checks.RunOnceAsync(CancellationToken.None);
        var sent = await _bed.SendAsync(new SendMessage(Guid.NewGuid(), account, Recipient.Username(to.Username), "through the other proxy"));
        await _bed.Sim.SetProxyDownAsync(failing, 1080, down: false);
        await checks.RunOnceAsync(CancellationToken.None);

        Assert.That(moved, Is.GreaterThanOrEqualTo(1));
        var failover = _bed.Published<AccountProxyChanged>(p => p.AccountId == account && p.Reason == "FAILOVER").Single();
        Assert.That((failover.Server, failover.Previous), Is.EqualTo((other, failing + ":1080")));
        Assert.That(sent, Is.TypeOf<MessageSent>());
        Assert.That((await _bed.Sim.ReceivedAsync("@" + to.Username)).Single().Text, Is.EqualTo("through the other proxy"));
    }

    [Test]
    public async Task An_accounts_own_proxy_is_stored_encrypted_applied_and_cleared()
    {
        var (account, _) = await _bed.LogInAsync();
        const string password = "pr0xy-Pa55word";
        var set = new SetAccountProxy(Guid.NewGuid(), account, new ProxySettings(ProxyKind.Http, "own-proxy.fleet.test", 3128) { Username = "fleet", Password = password });

        await _bed.Harness.Bus.Publish(set);
        await Wait.UntilAsync(() => _bed.Published<AccountProxyChanged>(p => p.CommandId == set.CommandId).Any(), TimeSpan.FromSeconds(20));

        var runtime = _bed.Registry.Find(account)!;
        Assert.That(runtime.Proxy.Current, Is.EqualTo(set.Proxy));
        await using (var conn = await _bed.Bed.Db.OpenConnectionAsync())
        {
            var stored = await conn.QuerySingleAsync<byte[]>("SELECT secret FROM account_proxies WHERE account_id = @Account", new { Account = account });
            Assert.That(Encoding.UTF8.GetString(stored), Does.Not.Contain(password));
        }

        Assert.That((await _bed.Bed.Proxies.LoadAsync(account, CancellationToken.None))!.Password, Is.EqualTo(password));
        Assert.That(_bed.Bed.Logs.All, Does.Not.Contain(password));
        Assert.That(_bed.Published<AccountProxyChanged>(p => p.CommandId == set.CommandId).Single().ToString(), Does.Not.Contain(password));

        var clear = new ClearAccountProxy(Guid.NewGuid(), account);
        await _bed.Harness.Bus.Publish(clear);
        await Wait.UntilAsync(() => _bed.Published<AccountProxyChanged>(p => p.CommandId == clear.CommandId).Any(), TimeSpan.FromSeconds(20));

        Assert.That(await _bed.Bed.Proxies.LoadAsync(account, CancellationToken.None), Is.Null);
        Assert.That(runtime.Proxy.Current?.Server, Is.AnyOf(First, Second), "back on the pool");
    }

    [Test]
    public async Task A_proxy_set_before_the_login_carries_the_login()
    {
        var phone = TgFleet.Tests.Simulator.SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = TgFleet.Tests.Worker.Accounts.AccountTestBed.NewAccountId();
        var proxy = new ProxySettings(ProxyKind.Socks5, "early-proxy.fleet.test", 1080);

        await _bed.Harness.Bus.Publish(new SetAccountProxy(Guid.NewGuid(), account, proxy));
        await Wait.UntilAsync(async () => await _bed.Bed.Proxies.LoadAsync(account, CancellationToken.None) is not null, TimeSpan.FromSeconds(20));
        await _bed.Harness.Bus.Publish(new Authenticate(Guid.NewGuid(), account, phone));
        await Wait.UntilAsync(() => _bed.Published<AuthenticationStateChanged>(m => m.AccountId == account && m.State == AuthenticationState.AwaitingCode).Any(), TimeSpan.FromSeconds(20));

        Assert.That(_bed.Registry.Find(account)!.Proxy.Current, Is.EqualTo(proxy));
    }

    [Test]
    public async Task A_malformed_proxy_is_rejected()
    {
        var set = new SetAccountProxy(Guid.NewGuid(), "acct-x", new ProxySettings(ProxyKind.MtProto, "mt.fleet.test", 443) { Secret = "not hex" });

        await _bed.Harness.Bus.Publish(set);
        await Wait.UntilAsync(() => _bed.Published<CommandRejected>(r => r.CommandId == set.CommandId).Any(), TimeSpan.FromSeconds(20));

        Assert.That(_bed.Published<CommandRejected>(r => r.CommandId == set.CommandId).Single().Reason, Is.EqualTo("PROXY_SECRET_INVALID"));
    }
}
