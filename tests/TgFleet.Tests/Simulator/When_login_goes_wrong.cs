using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_login_goes_wrong
{
    private SimulatorHarness _sim = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _sim = await SimulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _sim.DisposeAsync();

    private static string Phone(string phone) => SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "setAuthenticationPhoneNumber", ["phone_number"] = phone });

    private static string Code(string code) => SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "checkAuthenticationCode", ["code"] = code });

    private static string Password(string password) => SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "checkAuthenticationPassword", ["password"] = password });

    private async Task<(TdRecorder Td, int Client)> AtPhoneNumberAsync()
    {
        var td = _sim.NewBackend();
        var client = await SimulatorHarness.StartClientAsync(td, _sim.NewDirectory());
        return (td, client);
    }

    [Test]
    public async Task A_wrong_code_is_PHONE_CODE_INVALID_and_the_right_one_still_works()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var (td, client) = await AtPhoneNumberAsync();
        SimulatorHarness.Expect(await td.RequestAsync(client, Phone(phone)), "ok");
        var code = await _sim.CodeAsync(phone);
        var wrong = code == "11111" ? "22222" : "11111";

        SimulatorHarness.ExpectError(await td.RequestAsync(client, Code(wrong)), 400, "PHONE_CODE_INVALID");
        SimulatorHarness.Expect(await td.RequestAsync(client, Code(code)), "ok");
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateReady");
    }

    [Test]
    public async Task An_expired_code_is_PHONE_CODE_EXPIRED_and_the_number_is_asked_again()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        var (td, client) = await AtPhoneNumberAsync();
        SimulatorHarness.Expect(await td.RequestAsync(client, Phone(phone)), "ok");
        var code = await _sim.CodeAsync(phone);
        await _sim.SetFaultsAsync(phone, new AccountFaults(ExpireCode: true));

        SimulatorHarness.ExpectError(await td.RequestAsync(client, Code(code)), 400, "PHONE_CODE_EXPIRED");
        Assert.That(TdRecorder.Type(await td.RequestAsync(client, """{"@type":"getAuthorizationState"}""")), Is.EqualTo("authorizationStateWaitPhoneNumber"));
    }

    [Test]
    public async Task A_2FA_account_asks_for_the_password_and_rejects_a_wrong_one()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone, password: "correct horse", hint: "horse");
        var (td, client) = await AtPhoneNumberAsync();
        SimulatorHarness.Expect(await td.RequestAsync(client, Phone(phone)), "ok");
        SimulatorHarness.Expect(await td.RequestAsync(client, Code(await _sim.CodeAsync(phone))), "ok");

        var state = await td.WaitForAuthorizationStateAsync(client, "authorizationStateWaitPassword");
        Assert.That(state["authorization_state"]!["password_hint"]!.GetValue<string>(), Is.EqualTo("horse"));
        SimulatorHarness.ExpectError(await td.RequestAsync(client, Password("battery staple")), 400, "PASSWORD_HASH_INVALID");
        SimulatorHarness.Expect(await td.RequestAsync(client, Password("correct horse")), "ok");
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateReady");
    }

    [Test]
    public async Task A_malformed_number_is_PHONE_NUMBER_INVALID()
    {
        var (td, client) = await AtPhoneNumberAsync();

        SimulatorHarness.ExpectError(await td.RequestAsync(client, Phone("+12")), 400, "PHONE_NUMBER_INVALID");
    }

    [Test]
    public async Task A_number_marked_invalid_is_PHONE_NUMBER_INVALID()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        await _sim.SetFaultsAsync(phone, new AccountFaults(PhoneNumberInvalid: true));
        var (td, client) = await AtPhoneNumberAsync();

        SimulatorHarness.ExpectError(await td.RequestAsync(client, Phone(phone)), 400, "PHONE_NUMBER_INVALID");
    }

    [Test]
    public async Task An_unregistered_number_leads_to_registration_which_the_fleet_does_not_do()
    {
        var phone = SimulatorHarness.NewPhone();
        var (td, client) = await AtPhoneNumberAsync();
        SimulatorHarness.Expect(await td.RequestAsync(client, Phone(phone)), "ok");

        SimulatorHarness.Expect(await td.RequestAsync(client, Code(await _sim.CodeAsync(phone))), "ok");

        await td.WaitForAuthorizationStateAsync(client, "authorizationStateWaitRegistration");
    }

    [Test]
    public async Task Too_many_code_requests_are_rate_limited_with_429()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        await _sim.SetFaultsAsync(phone, new AccountFaults(CodeRequestLimit: 2));
        var (td, client) = await AtPhoneNumberAsync();
        SimulatorHarness.Expect(await td.RequestAsync(client, Phone(phone)), "ok");
        SimulatorHarness.Expect(await td.RequestAsync(client, """{"@type":"resendAuthenticationCode"}"""), "ok");

        var limited = await td.RequestAsync(client, """{"@type":"resendAuthenticationCode"}""");

        Assert.That(limited["code"]!.GetValue<int>(), Is.EqualTo(429));
        Assert.That(limited["message"]!.GetValue<string>(), Does.Match(@"^Too Many Requests: retry after \d+$"));
    }

    [Test]
    public async Task A_code_limit_of_zero_refuses_the_first_request_for_an_hour()
    {
        var phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(phone);
        await _sim.SetFaultsAsync(phone, new AccountFaults(CodeRequestLimit: 0));
        var (td, client) = await AtPhoneNumberAsync();

        var limited = await td.RequestAsync(client, Phone(phone));

        SimulatorHarness.ExpectError(limited, 429, "Too Many Requests: retry after 3600");
    }

    [Test]
    public async Task Auth_calls_out_of_order_get_TDLibs_unexpected_call_error()
    {
        var (td, client) = await AtPhoneNumberAsync();

        SimulatorHarness.ExpectError(await td.RequestAsync(client, Code("12345")), 400, "Call to checkAuthenticationCode unexpected");
        SimulatorHarness.ExpectError(await td.RequestAsync(client, Password("x")), 400, "Call to checkAuthenticationPassword unexpected");
        SimulatorHarness.ExpectError(await td.RequestAsync(client, Phone(string.Empty)), 400, "Phone number must be non-empty");
    }
}
