using NUnit.Framework;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_an_account_logs_in_with_a_code
{
    private static readonly string[] LoginStates =
    [
        "authorizationStateWaitTdlibParameters", "authorizationStateWaitPhoneNumber", "authorizationStateWaitCode", "authorizationStateReady",
    ];

    private SimulatorHarness _sim = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _sim = await SimulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _sim.DisposeAsync();

    [Test]
    public async Task The_client_is_ready_and_getMe_is_the_account()
    {
        var phone = SimulatorHarness.NewPhone();
        var account = await _sim.SeedAccountAsync(phone, username: "ann_" + phone[^6..]);
        var td = _sim.NewBackend();

        var client = await _sim.LoginAsync(td, phone, _sim.NewDirectory());

        var me = await td.RequestAsync(client, """{"@type":"getMe"}""");
        SimulatorHarness.Expect(me, "user");
        Assert.That(me["id"]!.GetValue<long>(), Is.EqualTo(account.UserId));
        Assert.That(me["phone_number"]!.GetValue<string>(), Is.EqualTo(phone.TrimStart('+')));
        var myId = await td.RequestAsync(client, """{"@type":"getOption","name":"my_id"}""");
        Assert.That(myId["value"]!.GetValue<string>(), Is.EqualTo(account.UserId.ToString()));
        _sim.AssertEverythingConformsToSchema();
    }

    [Test]
    public async Task The_states_follow_TDLibs_order()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var td = _sim.NewBackend();

        var client = await _sim.LoginAsync(td, phone, _sim.NewDirectory());

        var states = td.Objects(client).Where(o => TdRecorder.Type(o) == "updateAuthorizationState").Select(o => TdRecorder.Type(o["authorization_state"])).ToList();
        Assert.That(states, Is.EqualTo(LoginStates));
        var waitCode = await td.WaitForAuthorizationStateAsync(client, "authorizationStateWaitCode");
        Assert.That(waitCode["authorization_state"]!["code_info"]!["type"]!["length"]!.GetValue<int>(), Is.EqualTo(5));
        var types = td.Objects(client).Select(TdRecorder.Type).ToList();
        Assert.That(types.IndexOf("updateUser"), Is.LessThan(types.LastIndexOf("updateAuthorizationState")), "updateUser(me) comes before Ready");
        Assert.That(types, Does.Contain("updateConnectionState"));
    }

    [Test]
    public async Task A_second_client_on_the_session_files_resumes_without_login()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var directory = _sim.NewDirectory();
        var key = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray());
        var first = _sim.NewBackend();
        var client = await _sim.LoginAsync(first, phone, directory, key: key);
        SimulatorHarness.Expect(await first.RequestAsync(client, """{"@type":"close"}"""), "ok");
        await first.WaitForAuthorizationStateAsync(client, "authorizationStateClosed");
        Assert.That(File.Exists(Path.Combine(directory, "td.binlog")), Is.True, "close keeps td.binlog");

        var second = _sim.NewBackend();
        var resumed = await SimulatorHarness.StartClientAsync(second, directory, key);

        await second.WaitForAuthorizationStateAsync(resumed, "authorizationStateReady");
        Assert.That(second.Objects(resumed).Any(o => TdRecorder.Type(o) == "updateAuthorizationState" && TdRecorder.Type(o["authorization_state"]) == "authorizationStateWaitPhoneNumber"), Is.False);
        SimulatorHarness.Expect(await second.RequestAsync(resumed, """{"@type":"getMe"}"""), "user");
    }

    [Test]
    public async Task A_wrong_database_encryption_key_gives_TDLibs_error()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var directory = _sim.NewDirectory();
        var td = _sim.NewBackend();
        var client = await _sim.LoginAsync(td, phone, directory, key: Convert.ToBase64String(new byte[] { 1, 2, 3 }));
        await td.RequestAsync(client, """{"@type":"close"}""");
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateClosed");

        var other = td.CreateClient();
        var answer = await td.RequestAsync(other, SimulatorHarness.Parameters(directory, Convert.ToBase64String(new byte[] { 9, 9, 9 })));

        SimulatorHarness.ExpectError(answer, 401, "Wrong database encryption key");
        Assert.That(File.Exists(Path.Combine(directory, "td.binlog")), Is.True, "the database is kept");
    }

    [Test]
    public async Task LogOut_deletes_the_session_and_the_cloud_forgets_it()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var directory = _sim.NewDirectory();
        var td = _sim.NewBackend();
        var client = await _sim.LoginAsync(td, phone, directory);

        SimulatorHarness.Expect(await td.RequestAsync(client, """{"@type":"logOut"}"""), "ok");

        await td.WaitForAuthorizationStateAsync(client, "authorizationStateLoggingOut");
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateClosed");
        Assert.That(File.Exists(Path.Combine(directory, "td.binlog")), Is.False);
        SimulatorHarness.ExpectError(await td.RequestAsync(client, """{"@type":"getMe"}"""), 500, "Request aborted");
    }

    [Test]
    public async Task Destroy_deletes_the_session_files()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var directory = _sim.NewDirectory();
        var td = _sim.NewBackend();
        var client = await _sim.LoginAsync(td, phone, directory);

        SimulatorHarness.Expect(await td.RequestAsync(client, """{"@type":"destroy"}"""), "ok");

        await td.WaitForAuthorizationStateAsync(client, "authorizationStateClosed");
        Assert.That(File.Exists(Path.Combine(directory, "td.binlog")), Is.False);
    }
}
