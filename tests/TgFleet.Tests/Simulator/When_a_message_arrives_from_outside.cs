using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_a_message_arrives_from_outside : SenderFixture
{
    [Test, Order(1)]
    public async Task It_is_an_updateNewMessage_in_a_new_chat_readable_through_history_and_chat_lists()
    {
        await Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Frank", Username: "frank_writes"));

        await Sim.InjectAsync("@frank_writes", Phone, "Hi, is this the shop?");

        var incoming = await Td.WaitForUpdateAsync(Client, "updateNewMessage", o => o["message"]!["is_outgoing"]!.GetValue<bool>() == false);
        var chatId = incoming["message"]!["chat_id"]!.GetValue<long>();
        Assert.That(Td.Objects(Client).Any(o => TdRecorder.Type(o) == "updateNewChat" && o["chat"]!["id"]!.GetValue<long>() == chatId), Is.True);

        var history = await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "getChatHistory", ["chat_id"] = chatId, ["from_message_id"] = 0, ["offset"] = 0, ["limit"] = 10, ["only_local"] = false }));
        SimulatorHarness.Expect(history, "messages");
        Assert.That(history["messages"]![0]!["content"]!["text"]!["text"]!.GetValue<string>(), Is.EqualTo("Hi, is this the shop?"));

        var chat = await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "getChat", ["chat_id"] = chatId }));
        Assert.That(chat["unread_count"]!.GetValue<int>(), Is.EqualTo(1));
        SimulatorHarness.Expect(await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "viewMessages", ["chat_id"] = chatId, ["message_ids"] = new[] { incoming["message"]!["id"]!.GetValue<long>() }, ["force_read"] = true })), "ok");
        var read = await Td.WaitForUpdateAsync(Client, "updateChatReadInbox", o => o["chat_id"]!.GetValue<long>() == chatId && o["unread_count"]!.GetValue<int>() == 0);
        Assert.That(read["last_read_inbox_message_id"]!.GetValue<long>(), Is.EqualTo(incoming["message"]!["id"]!.GetValue<long>()));
        Sim.AssertEverythingConformsToSchema();
    }

    [Test, Order(2)]
    public async Task A_fresh_client_finds_its_chats_with_loadChats_and_getChats()
    {
        await Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Gina", Username: "gina_history"));
        await Sim.InjectAsync("@gina_history", Phone, "Remember me?");
        await Td.WaitForUpdateAsync(Client, "updateNewMessage", o => o["message"]!["content"]!["text"]!["text"]!.GetValue<string>() == "Remember me?");
        await Td.RequestAsync(Client, """{"@type":"close"}""");
        await Td.WaitForAuthorizationStateAsync(Client, "authorizationStateClosed");
        var td = Sim.NewBackend();
        var client = await SimulatorHarness.StartClientAsync(td, Directory);
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateReady");

        SimulatorHarness.Expect(await td.RequestAsync(client, """{"@type":"loadChats","chat_list":{"@type":"chatListMain"},"limit":20}"""), "ok");
        SimulatorHarness.ExpectError(await td.RequestAsync(client, """{"@type":"loadChats","chat_list":{"@type":"chatListMain"},"limit":20}"""), 404, "Not Found");
        var chats = await td.RequestAsync(client, """{"@type":"getChats","chat_list":{"@type":"chatListMain"},"limit":20}""");

        SimulatorHarness.Expect(chats, "chats");
        var gina = td.Objects(client).First(o => TdRecorder.Type(o) == "updateUser" && o["user"]!["first_name"]!.GetValue<string>() == "Gina");
        Assert.That(chats["chat_ids"]!.AsArray().Select(c => c!.GetValue<long>()), Does.Contain(gina["user"]!["id"]!.GetValue<long>()));
    }

    [Test, Order(3)]
    public async Task A_message_that_arrived_while_no_worker_ran_is_delivered_when_the_session_resumes()
    {
        await Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Kim", Username: "kim_offline"));
        var phone = SimulatorHarness.NewPhone();
        await Sim.SeedAccountAsync(phone);
        var directory = Sim.NewDirectory();
        var first = Sim.NewBackend();
        var client = await Sim.LoginAsync(first, phone, directory);
        await first.RequestAsync(client, """{"@type":"close"}""");
        await first.WaitForAuthorizationStateAsync(client, "authorizationStateClosed");

        await Sim.InjectAsync("@kim_offline", phone, "Are you there?");
        var second = Sim.NewBackend();
        var resumed = await SimulatorHarness.StartClientAsync(second, directory);

        var missed = await second.WaitForUpdateAsync(resumed, "updateNewMessage");
        Assert.That(missed["message"]!["content"]!["text"]!["text"]!.GetValue<string>(), Is.EqualTo("Are you there?"));
        Assert.That(second.Objects(resumed).Count(o => TdRecorder.Type(o) == "updateNewMessage"), Is.EqualTo(1));
    }
}
