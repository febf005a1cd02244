using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_a_message_is_sent
{
    private SimulatorHarness _sim = null!;
    private TdRecorder _td = null!;
    private int _client;
    private string _phone = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _sim = await SimulatorHarness.StartAsync();
        _phone = SimulatorHarness.NewPhone();
        await _sim.SeedAccountAsync(_phone);
        _td = _sim.NewBackend();
        _client = await _sim.LoginAsync(_td, _phone, _sim.NewDirectory());
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _sim.DisposeAsync();

    [Test]
    public async Task It_is_pending_at_once_then_succeeds_and_the_recipient_has_it()
    {
        await _sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Bob", Username: "bob_receives"));
        var chatId = await SimulatorHarness.ChatByUsernameAsync(_td, _client, "bob_receives");

        var pending = await _td.RequestAsync(_client, SimulatorHarness.SendText(chatId, "Hello Bob"));

        SimulatorHarness.Expect(pending, "message");
        Assert.That(TdRecorder.Type(pending["sending_state"]), Is.EqualTo("messageSendingStatePending"));
        var temporaryId = pending["id"]!.GetValue<long>();
        var succeeded = await _td.WaitForUpdateAsync(_client, "updateMessageSendSucceeded", o => o["old_message_id"]!.GetValue<long>() == temporaryId);
        Assert.That(succeeded["message"]!["sending_state"], Is.Null);
        Assert.That(succeeded["message"]!["id"]!.GetValue<long>(), Is.Not.EqualTo(temporaryId));
        Assert.That(succeeded["message"]!["content"]!["text"]!["text"]!.GetValue<string>(), Is.EqualTo("Hello Bob"));
        var received = await _sim.ReceivedAsync("@bob_receives");
        Assert.That(received, Has.Length.EqualTo(1));
        Assert.That(received[0].Text, Is.EqualTo("Hello Bob"));
        Assert.That(received[0].FromPhone, Is.EqualTo(_phone.TrimStart('+')));
        _sim.AssertEverythingConformsToSchema();
    }

    [Test]
    public async Task The_new_chat_and_user_are_announced_before_the_message()
    {
        await _sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Carol", Username: "carol_order"));
        var chatId = await SimulatorHarness.ChatByUsernameAsync(_td, _client, "carol_order");
        await _td.RequestAsync(_client, SimulatorHarness.SendText(chatId, "order check"));
        await _td.WaitForUpdateAsync(_client, "updateMessageSendSucceeded", o => o["message"]!["chat_id"]!.GetValue<long>() == chatId);

        var forChat = _td.Objects(_client).Where(o => ChatIdOf(o) == chatId).Select(TdRecorder.Type).ToList();

        Assert.That(forChat.IndexOf("updateUser"), Is.LessThan(forChat.IndexOf("updateNewChat")));
        Assert.That(forChat.IndexOf("updateNewChat"), Is.LessThan(forChat.IndexOf("updateNewMessage")));
        Assert.That(forChat.IndexOf("updateNewMessage"), Is.LessThan(forChat.IndexOf("updateMessageSendSucceeded")));
    }

    private static long? ChatIdOf(System.Text.Json.Nodes.JsonObject o) => TdRecorder.Type(o) switch
    {
        "updateUser" => o["user"]!["id"]!.GetValue<long>(),
        "updateNewChat" => o["chat"]!["id"]!.GetValue<long>(),
        "updateNewMessage" or "updateMessageSendSucceeded" => o["message"]!["chat_id"]!.GetValue<long>(),
        _ => null,
    };

    [Test]
    public async Task Sending_to_an_unknown_chat_is_Chat_not_found()
    {
        SimulatorHarness.ExpectError(await _td.RequestAsync(_client, SimulatorHarness.SendText(123456789, "x")), 400, "Chat not found");
    }

    [Test]
    public async Task A_text_over_4096_characters_is_MESSAGE_TOO_LONG()
    {
        await _sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Dan", Username: "dan_long"));
        var chatId = await SimulatorHarness.ChatByUsernameAsync(_td, _client, "dan_long");

        SimulatorHarness.ExpectError(await _td.RequestAsync(_client, SimulatorHarness.SendText(chatId, new string('x', 4097))), 400, "MESSAGE_TOO_LONG");
    }

    [Test]
    public async Task An_unknown_username_is_USERNAME_NOT_OCCUPIED_and_a_bad_one_USERNAME_INVALID()
    {
        SimulatorHarness.ExpectError(await _td.RequestAsync(_client, """{"@type":"searchPublicChat","username":"nobody_here_at_all"}"""), 400, "USERNAME_NOT_OCCUPIED");
        SimulatorHarness.ExpectError(await _td.RequestAsync(_client, """{"@type":"searchPublicChat","username":"a-b"}"""), 400, "USERNAME_INVALID");
    }

    [Test]
    public async Task A_recipient_with_restrictive_privacy_gives_USER_PRIVACY_RESTRICTED_as_400()
    {
        await _sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Eve", Username: "eve_private", PrivacyRestricted: true));
        var chatId = await SimulatorHarness.ChatByUsernameAsync(_td, _client, "eve_private");

        var pending = await _td.RequestAsync(_client, SimulatorHarness.SendText(chatId, "hi"));

        var failed = await _td.WaitForUpdateAsync(_client, "updateMessageSendFailed", o => o["old_message_id"]!.GetValue<long>() == pending["id"]!.GetValue<long>());
        Assert.That(failed["error"]!["code"]!.GetValue<int>(), Is.EqualTo(400));
        Assert.That(failed["error"]!["message"]!.GetValue<string>(), Is.EqualTo("USER_PRIVACY_RESTRICTED"));
        Assert.That(TdRecorder.Type(failed["message"]!["sending_state"]), Is.EqualTo("messageSendingStateFailed"));
        Assert.That(await _sim.ReceivedAsync("@eve_private"), Is.Empty);
    }

    [Test]
    public async Task A_deactivated_recipient_gives_INPUT_USER_DEACTIVATED()
    {
        await _sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Gone", Username: "gone_user", Deactivated: true));
        var chatId = await SimulatorHarness.ChatByUsernameAsync(_td, _client, "gone_user");

        var pending = await _td.RequestAsync(_client, SimulatorHarness.SendText(chatId, "hi"));

        var failed = await _td.WaitForUpdateAsync(_client, "updateMessageSendFailed", o => o["old_message_id"]!.GetValue<long>() == pending["id"]!.GetValue<long>());
        Assert.That(failed["error"]!["message"]!.GetValue<string>(), Is.EqualTo("INPUT_USER_DEACTIVATED"));
    }
}
