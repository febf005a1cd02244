using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Queries;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Queries;

/// <summary>
/// ListAccounts sent to <see cref="QueryAddressing.Address"/> on a real RabbitMQ, answered by a
/// worker bus with the queries endpoint from a real PostgreSQL holding eight accounts.
/// </summary>
[TestFixture, Category("Worker")]
public sealed class When_accounts_are_listed
{
    private static readonly DateTimeOffset FloodUntil = new(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);

    // Mixed case on purpose: ordinal order puts every upper-case letter before the lower-case ones.
    private static readonly (string Id, string Status)[] Accounts =
    [
        ("a-flood", "flood_wait"),
        ("B-online", "online"),
        ("c-new", "new"),
        ("d-awaiting", "awaiting_code"),
        ("e-banned", "banned"),
        ("f-failed", "failed"),
        ("g-online", "online"),
        ("Z-logged-out", "logged_out"),
    ];

    private TestVirtualHost _vhost = null!;
    private TestDatabase _database = null!;
    private NpgsqlDataSource _db = null!;
    private IHost _host = null!;
    private IServiceProvider _provider = null!;
    private IBusControl _bus = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _vhost = await TestInfrastructure.CreateVirtualHostAsync();
        _database = await TestInfrastructure.CreateDatabaseAsync();
        _db = NpgsqlDataSource.Create(_database.ConnectionString);
        await using (var conn = await _db.OpenConnectionAsync())
        {
            // A linguistic collation, as a database created with a locale has (the test cluster's is C),
            // under which "a-flood" sorts before "B-online": paging must not depend on it.
            await conn.ExecuteAsync(new CommandDefinition("ALTER TABLE accounts ALTER COLUMN account_id TYPE text COLLATE \"und-x-icu\""));
            foreach (var (id, status) in Accounts)
            {
                await conn.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO accounts (account_id, shard, status, flood_wait_until)
                    VALUES (@Id, @Shard, @Status, CASE WHEN @Status = 'flood_wait' THEN @Until END)
                    """, new { Id = id, Shard = ShardAddressing.ShardOf(id), Status = status, Until = FloodUntil }));
            }
        }

        // The worker as AddWorker composes it; only its bus runs (the queries endpoint), no shard is owned.
        var settings = WorkerHost.WithoutAccounts();
        settings["Database:ConnectionString"] = _database.ConnectionString;
        settings["RabbitMq:Uri"] = _vhost.AmqpUri.ToString();
        _host = WorkerHost.CreateBuilder(settings).Build();
        _provider = _host.Services;
        _bus = _provider.GetRequiredService<IBusControl>();
        await _bus.StartAsync(TimeSpan.FromSeconds(30));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _bus.StopAsync(TimeSpan.FromSeconds(30));
        _host.Dispose();
        await _db.DisposeAsync();
        await _database.DisposeAsync();
        await _vhost.DisposeAsync();
    }

    [Test]
    public async Task Pages_follow_one_another_in_ordinal_order_of_the_ids()
    {
        var pages = new List<string>();
        string? after = null;
        int count;
        do
        {
            var page = await ListAsync(new ListAccounts(Guid.NewGuid()) { Limit = 3, After = after });
            pages.Add(Ids(page));
            count = page.Accounts.Count;
            after = count > 0 ? page.Accounts[^1].AccountId : null;
        }
        while (count == 3);

        Assert.That(pages, Is.EqualTo(new List<string> { "B-online Z-logged-out a-flood", "c-new d-awaiting e-banned", "f-failed g-online" }));
    }

    [Test]
    public async Task A_status_keeps_only_its_accounts()
    {
        var online = await ListAsync(new ListAccounts(Guid.NewGuid()) { Status = AccountStatus.Online });
        var banned = await ListAsync(new ListAccounts(Guid.NewGuid()) { Status = AccountStatus.Banned });
        var flooded = await ListAsync(new ListAccounts(Guid.NewGuid()) { Status = AccountStatus.FloodWait });

        Assert.That(Ids(online), Is.EqualTo("B-online g-online"));
        Assert.That(online.Accounts.Select(a => a.Status), Is.All.EqualTo(AccountStatus.Online));
        Assert.That(Ids(banned), Is.EqualTo("e-banned"));
        Assert.That(flooded.Accounts.Select(a => (a.AccountId, a.Status, a.FloodWaitUntil)), Is.EqualTo(new[] { ("a-flood", AccountStatus.FloodWait, (DateTimeOffset?)FloodUntil) }));
    }

    [Test]
    public async Task Logged_out_takes_in_every_account_that_needs_a_login()
    {
        var loggedOut = await ListAsync(new ListAccounts(Guid.NewGuid()) { Status = AccountStatus.LoggedOut });
        var secondPage = await ListAsync(new ListAccounts(Guid.NewGuid()) { Status = AccountStatus.LoggedOut, After = "c-new", Limit = 1 });

        Assert.That(Ids(loggedOut), Is.EqualTo("Z-logged-out c-new d-awaiting f-failed"));
        Assert.That(loggedOut.Accounts.Select(a => a.Status), Is.All.EqualTo(AccountStatus.LoggedOut));
        Assert.That(Ids(secondPage), Is.EqualTo("d-awaiting"));
    }

    [Test]
    public async Task An_invalid_query_is_answered_with_a_rejection()
    {
        var limit = await RejectedAsync(new ListAccounts(Guid.NewGuid()) { Limit = 0 });
        var status = await RejectedAsync(new ListAccounts(Guid.NewGuid()) { Status = (AccountStatus)99 });

        Assert.That((limit.Field, limit.Reason, limit.Command), Is.EqualTo(("Limit", "LIMIT_OUT_OF_RANGE", "ListAccounts")));
        Assert.That((status.Field, status.Reason), Is.EqualTo(("Status", "STATUS_UNKNOWN")));
    }

    [Test]
    public async Task The_queue_is_one_durable_quorum_queue()
    {
        var json = await _vhost.Server.GetManagementJsonAsync($"queues/{Uri.EscapeDataString(_vhost.Name)}/{QueryAddressing.QueueName}");
        using var queue = JsonDocument.Parse(json);

        Assert.That(queue.RootElement.GetProperty("type").GetString(), Is.EqualTo("quorum"));
        Assert.That(queue.RootElement.GetProperty("durable").GetBoolean(), Is.True);
    }

    private static string Ids(AccountList list) => string.Join(' ', list.Accounts.Select(a => a.AccountId));

    private async Task<AccountList> ListAsync(ListAccounts query)
    {
        var response = await Client().GetResponse<AccountList, CommandRejected>(query);
        return response.Is(out Response<AccountList>? list) ? list.Message
            : throw new AssertionException($"Expected AccountList, got {response.Message}");
    }

    private async Task<CommandRejected> RejectedAsync(ListAccounts query)
    {
        var response = await Client().GetResponse<AccountList, CommandRejected>(query);
        return response.Is(out Response<CommandRejected>? rejected) ? rejected.Message
            : throw new AssertionException($"Expected CommandRejected, got {response.Message}");
    }

    private IRequestClient<ListAccounts> Client() =>
        _provider.GetRequiredService<IClientFactory>().CreateRequestClient<ListAccounts>(QueryAddressing.Address, RequestTimeout.After(s: 20));
}
