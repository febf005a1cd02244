using Dapper;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using PhoneNumber = TgFleet.Contracts.Accounts.PhoneNumber;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Queries;
using TgFleet.Simulator;
using TgFleet.Tdlib;
using TgFleet.Testing;
using TgFleet.Tests.Simulator;
using TgFleet.Tests.Worker.Accounts;
using TgFleet.Worker.Accounts;
using TgFleet.Worker.Commands;
using TgFleet.Worker.Sharding;

namespace TgFleet.Tests.Worker.Queries;

/// <summary>
/// The per-account queries on a shard endpoint (MassTransit's harness, in memory) over a real
/// simulator and PostgreSQL: one account logged in through the registry with a contact list and an
/// incoming message; every shard owned but one.
/// </summary>
[TestFixture, Category("Worker")]
public sealed class When_an_account_is_queried_on_its_shard
{
    private const string ShardQueue = AccountTestBed.ShardQueue;
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(3);

    private AccountTestBed _bed = null!;
    private IServiceProvider _services = null!;
    private ITestHarness _harness = null!;
    private AccountRegistry _registry = null!;
    private int _unownedShard;
    private string _account = null!;
    private string _phone = null!;
    private string _username = null!;
    private Created _seeded = null!;
    private Created _writer = null!;
    private Created _contact = null!;
    private Created _other = null!;
    private string _contactPhone = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await AccountTestBed.StartAsync();
        _services = _bed.BuildWorkerServices(loginStepTimeout: QueryTimeout);
        _harness = _services.GetRequiredService<ITestHarness>();
        _harness.TestTimeout = TimeSpan.FromSeconds(60);
        await _harness.Start();
        _registry = _services.GetRequiredService<AccountRegistry>();
        _unownedShard = ShardAddressing.ShardOf("acct-on-an-unowned-shard");
        for (var shard = 0; shard < ShardAddressing.DefaultShardCount; shard++)
        {
            if (shard != _unownedShard)
            {
                await _registry.StartShardAsync(new ShardLease(shard, AccountTestBed.LeaseEpoch), CancellationToken.None);
            }
        }

        // The account, a user who writes to it and two contacts it imported from another session.
        _phone = SimulatorHarness.NewPhone();
        _username = "ann" + Guid.NewGuid().ToString("N")[..8];
        _seeded = await _bed.Sim.SeedAccountAsync(_phone, username: _username);
        _writer = await _bed.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Bea", "Writer"));
        _contactPhone = SimulatorHarness.NewPhone();
        _contact = await _bed.Sim.SeedUserAsync(new UserSeed(_contactPhone, "Cleo", "Match", "cleo" + Guid.NewGuid().ToString("N")[..8]));
        _other = await _bed.Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Dora", "Other"));
        await ImportContactsAsync(_phone, _contactPhone, _other.Phone);

        _account = OwnedAccountId();
        await LogInAsync(_account, _phone);
        await _bed.Sim.InjectAsync(_writer.Phone, _phone, "hello from Bea");
        await _bed.Sim.InjectAsync(_other.Phone, _phone, "and from Dora, later");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _registry.DisposeAsync();
        await _harness.Stop();
        await _bed.DisposeAsync();
    }

    [Test]
    public async Task GetMe_answers_the_seeded_user_with_the_phone_masked()
    {
        var me = await AskAsync<GetMe, TelegramUser>(new GetMe(Guid.NewGuid(), _account));

        Assert.That((me.UserId, me.FirstName, me.LastName, me.Username), Is.EqualTo((_seeded.UserId, "Ann", "Sender", _username)));
        Assert.That(me.PhoneMasked, Is.EqualTo(PhoneNumber.Mask(_phone)).And.Not.Contain(_phone[5..]));
    }

    [Test]
    public async Task GetChats_lists_the_private_chats_of_messages_received_most_recent_first()
    {
        ChatList? list = null;
        await Wait.UntilAsync(async () =>
        {
            list = await AskAsync<GetChats, ChatList>(new GetChats(Guid.NewGuid(), _account));
            return list.Chats.Count(c => c.UnreadCount == 1) == 2;
        }, AccountTestBed.Deadline, () => list?.Chats.Count.ToString() + " chats: " + string.Join(", ", list?.Chats.Select(c => c.ToString()) ?? []));

        Assert.That(list!.AccountId, Is.EqualTo(_account));
        Assert.That(list.Chats, Is.EqualTo(new[]
        {
            new ChatSummary(_other.UserId, "Dora Other", "private") { UnreadCount = 1 },
            new ChatSummary(_writer.UserId, "Bea Writer", "private") { UnreadCount = 1 },
        }));
    }

    [Test]
    public async Task GetChats_gives_no_more_than_its_limit()
    {
        ChatList? list = null;
        await Wait.UntilAsync(async () =>
        {
            list = await AskAsync<GetChats, ChatList>(new GetChats(Guid.NewGuid(), _account) { Limit = 1 });
            return list.Chats.Any(c => c.ChatId == _other.UserId);
        }, AccountTestBed.Deadline, () => string.Join(", ", list?.Chats.Select(c => c.ToString()) ?? []));

        Assert.That(list!.Chats.Single().Title, Is.EqualTo("Dora Other"));
    }

    [Test]
    public async Task SearchContacts_finds_a_contact_by_name_and_no_one_else()
    {
        var found = await AskAsync<SearchContacts, ContactList>(new SearchContacts(Guid.NewGuid(), _account, "cleo"));
        var all = await AskAsync<SearchContacts, ContactList>(new SearchContacts(Guid.NewGuid(), _account, string.Empty));

        Assert.That(found.Contacts.Select(c => (c.UserId, c.FirstName, c.LastName)), Is.EqualTo(new[] { (_contact.UserId, "Cleo", "Match") }));
        Assert.That(found.Contacts[0].Username, Is.EqualTo(_contact.Username));
        Assert.That(found.Contacts[0].PhoneMasked, Is.EqualTo(PhoneNumber.Mask(_contactPhone)));
        Assert.That(string.Join(' ', all.Contacts.Select(c => c.FirstName).Order(StringComparer.Ordinal)), Is.EqualTo("Cleo Dora"));
    }

    [Test]
    public async Task GetAccount_answers_the_logged_in_account_as_online_with_its_user_id()
    {
        AccountInfo? info = null;
        await Wait.UntilAsync(async () =>
        {
            info = await AskAsync<GetAccount, AccountInfo>(new GetAccount(Guid.NewGuid(), _account));
            return info.TelegramUserId is not null;
        }, AccountTestBed.Deadline, () => info?.ToString() ?? "nothing");

        Assert.That(info, Is.EqualTo(new AccountInfo(_account, PhoneNumber.Mask(_phone), AccountStatus.Online, ShardAddressing.ShardOf(_account))
        {
            TelegramUserId = _seeded.UserId,
        }));
    }

    [Test]
    public async Task GetAccount_maps_a_flood_wait_with_its_end()
    {
        var account = AccountTestBed.NewAccountId();
        var until = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await InsertAccountAsync(account, "flood_wait", until);

        var info = await AskAsync<GetAccount, AccountInfo>(new GetAccount(Guid.NewGuid(), account));

        Assert.That((info.Status, info.FloodWaitUntil, info.TelegramUserId), Is.EqualTo((AccountStatus.FloodWait, (DateTimeOffset?)until, (long?)4242)));
    }

    [Test]
    public async Task GetAccount_of_a_login_in_progress_says_logged_out()
    {
        var account = AccountTestBed.NewAccountId();
        await InsertAccountAsync(account, "awaiting_code");

        var info = await AskAsync<GetAccount, AccountInfo>(new GetAccount(Guid.NewGuid(), account));

        Assert.That(info.Status, Is.EqualTo(AccountStatus.LoggedOut));
    }

    [Test]
    public async Task An_account_the_fleet_never_saw_is_unknown()
    {
        var account = OwnedAccountId();

        var forAccount = await RejectedAsync<GetAccount, AccountInfo>(new GetAccount(Guid.NewGuid(), account));
        var forMe = await RejectedAsync<GetMe, TelegramUser>(new GetMe(Guid.NewGuid(), account));

        Assert.That((forAccount.Field, forAccount.Reason, forAccount.Command), Is.EqualTo(("AccountId", "ACCOUNT_UNKNOWN", "GetAccount")));
        Assert.That((forMe.Field, forMe.Reason, forMe.AccountId), Is.EqualTo(("AccountId", "ACCOUNT_UNKNOWN", account)));
        Assert.That((forAccount.Permanent, forMe.Permanent), Is.EqualTo((true, true)), "only a not-now refusal is not permanent");
    }

    [Test]
    public async Task An_account_waiting_for_its_code_is_not_ready()
    {
        var phone = SimulatorHarness.NewPhone();
        await _bed.Sim.SeedAccountAsync(phone);
        var account = OwnedAccountId();
        var runtime = await _registry.GetOrStartAsync(account, CancellationToken.None);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await runtime.WaitForStateAsync(AuthenticationState.AwaitingCode, AccountTestBed.Deadline, CancellationToken.None);

        var rejected = await RejectedAsync<GetMe, TelegramUser>(new GetMe(Guid.NewGuid(), account));

        Assert.That((rejected.Field, rejected.Reason, rejected.Permanent), Is.EqualTo(("AccountId", "ACCOUNT_NOT_READY", false)));
    }

    [Test]
    public async Task An_account_known_but_without_a_client_here_is_not_ready()
    {
        var account = OwnedAccountId();
        await InsertAccountAsync(account, "logged_out");

        var rejected = await RejectedAsync<GetChats, ChatList>(new GetChats(Guid.NewGuid(), account));

        Assert.That((rejected.Reason, rejected.Permanent), Is.EqualTo(("ACCOUNT_NOT_READY", false)));
    }

    [Test]
    public async Task An_account_of_a_shard_this_worker_does_not_own_is_refused()
    {
        var rejected = await RejectedAsync<SearchContacts, ContactList>(new SearchContacts(Guid.NewGuid(), "acct-on-an-unowned-shard", "x"));

        Assert.That((rejected.Field, rejected.Reason, rejected.Permanent), Is.EqualTo(("AccountId", "SHARD_NOT_OWNED", false)));
    }

    [Test]
    public async Task An_invalid_query_is_refused_before_Telegram_sees_it()
    {
        var limit = await RejectedAsync<GetChats, ChatList>(new GetChats(Guid.NewGuid(), _account) { Limit = 0 });
        var missing = await RejectedAsync<GetMe, TelegramUser>(new GetMe(Guid.NewGuid(), string.Empty));

        Assert.That((limit.Field, limit.Reason), Is.EqualTo(("Limit", "LIMIT_OUT_OF_RANGE")));
        Assert.That((missing.Field, missing.Reason), Is.EqualTo(("AccountId", "ACCOUNT_ID_MISSING")));
    }

    [Test]
    public async Task Telegram_out_of_reach_is_answered_as_a_timeout_not_left_unanswered()
    {
        await _bed.Sim.SetReachableAsync(false);
        try
        {
            var rejected = await RejectedAsync<SearchContacts, ContactList>(new SearchContacts(Guid.NewGuid(), _account, "cleo"));

            Assert.That((rejected.Field, rejected.Reason, rejected.Permanent), Is.EqualTo(("AccountId", "TDLIB_TIMEOUT", false)));
        }
        finally
        {
            await _bed.Sim.SetReachableAsync(true);
            // Leave the account answering again for the other tests of the fixture.
            await Wait.UntilAsync(async () => (await Client<SearchContacts>().GetResponse<ContactList, CommandRejected>(
                new SearchContacts(Guid.NewGuid(), _account, "cleo"))).Is(out Response<ContactList>? _), AccountTestBed.Deadline);
        }
    }

    [TestCase(429, "Too Many Requests: retry after 17", "FLOOD_WAIT_17")]
    [TestCase(406, "AUTH_KEY_DUPLICATED", "AUTH_KEY_DUPLICATED")]
    [TestCase(400, "Chat not found", "TDLIB_ERROR_400")]
    [TestCase(500, "Request aborted", "TDLIB_ERROR_500")]
    public void A_TDLib_error_is_named_by_a_machine_readable_reason(int code, string message, string reason) =>
        Assert.That(TelegramReasons.OfQuery(new TdException(code, message)), Is.EqualTo(reason));

    [TestCase("ACCOUNT_NOT_READY", false)]
    [TestCase("SHARD_NOT_OWNED", false)]
    [TestCase("TDLIB_TIMEOUT", false)]
    [TestCase("FLOOD_WAIT_17", false)]
    [TestCase("ACCOUNT_UNKNOWN", true)]
    [TestCase("AUTH_KEY_DUPLICATED", true)]
    [TestCase("TDLIB_ERROR_400", true)]
    public void Only_a_not_now_reason_is_rejected_as_not_permanent(string reason, bool permanent) =>
        Assert.That(CommandRejections.IsPermanent(reason), Is.EqualTo(permanent));

    [TestCase("FLOOD_WAIT", true, null)]
    [TestCase("FLOOD_WAIT_37", true, 37)]
    [TestCase("FLOOD_WAITING", false, null)]
    [TestCase("FLOOD_WAIT_X", true, null)]
    [TestCase("PEER_FLOOD", false, null)]
    public void A_flood_wait_is_told_and_its_seconds_read_in_one_place(string reason, bool floodWait, int? seconds)
    {
        Assert.That(TelegramReasons.IsFloodWait(reason), Is.EqualTo(floodWait));
        Assert.That(TelegramReasons.FloodWaitSeconds(reason), Is.EqualTo(seconds));
    }

    // ------------------------------------------------------------------ helpers

    private async Task<TAnswer> AskAsync<TQuery, TAnswer>(TQuery query)
        where TQuery : class
        where TAnswer : class
    {
        var response = await Client<TQuery>().GetResponse<TAnswer, CommandRejected>(query);
        return response.Is(out Response<TAnswer>? answer) ? answer.Message
            : throw new AssertionException($"Expected {typeof(TAnswer).Name}, got {response.Message}");
    }

    private async Task<CommandRejected> RejectedAsync<TQuery, TAnswer>(TQuery query)
        where TQuery : class
        where TAnswer : class
    {
        var response = await Client<TQuery>().GetResponse<TAnswer, CommandRejected>(query);
        return response.Is(out Response<CommandRejected>? rejected) ? rejected.Message
            : throw new AssertionException($"Expected CommandRejected, got {response.Message}");
    }

    private IRequestClient<TQuery> Client<TQuery>()
        where TQuery : class =>
        _harness.Bus.CreateRequestClient<TQuery>(new Uri("queue:" + ShardQueue), RequestTimeout.After(s: 20));

    private string OwnedAccountId()
    {
        while (true)
        {
            var account = AccountTestBed.NewAccountId();
            if (ShardAddressing.ShardOf(account) != _unownedShard)
            {
                return account;
            }
        }
    }

    private async Task LogInAsync(string account, string phone)
    {
        var runtime = await _registry.GetOrStartAsync(account, CancellationToken.None);
        await runtime.Login.SetPhoneAsync(Guid.NewGuid(), phone, CancellationToken.None);
        await runtime.WaitForStateAsync(AuthenticationState.AwaitingCode, AccountTestBed.Deadline, CancellationToken.None);
        await runtime.Login.SubmitCodeAsync(Guid.NewGuid(), await _bed.Sim.CodeAsync(phone), CancellationToken.None);
        await runtime.WaitForStateAsync(AuthenticationState.Ready, AccountTestBed.Deadline, CancellationToken.None);
    }

    /// <summary>Logs the account in from a session of its own (as a phone would) and imports contacts there.</summary>
    private async Task ImportContactsAsync(string phone, params string[] contacts)
    {
        var td = _bed.Sim.NewBackend();
        var client = await _bed.Sim.LoginAsync(td, phone, _bed.Sim.NewDirectory());
        var imported = await td.RequestAsync(client, SimulatorHarness.Json(new Dictionary<string, object>
        {
            ["@type"] = "importContacts",
            ["contacts"] = contacts.Select(p => new Dictionary<string, object>
            {
                ["@type"] = "importedContact", ["phone_number"] = p, ["first_name"] = string.Empty, ["last_name"] = string.Empty,
            }).ToArray(),
        }));
        SimulatorHarness.Expect(imported, "importedContacts");
    }

    private async Task InsertAccountAsync(string account, string status, DateTimeOffset? until = null)
    {
        await using var conn = await _bed.Db.OpenConnectionAsync();
        await conn.ExecuteAsync(new CommandDefinition("""
            INSERT INTO accounts (account_id, shard, phone_masked, status, flood_wait_until, telegram_user_id)
            VALUES (@Account, @Shard, '+4477*****123', @Status, @Until, 4242)
            """, new { Account = account, Shard = ShardAddressing.ShardOf(account), Status = status, Until = until }));
    }
}
