using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_contacts_are_looked_up : SenderFixture
{
    [Test]
    public async Task ImportContacts_resolves_known_numbers_and_gives_0_for_unknown_ones()
    {
        var known = SimulatorHarness.NewPhone();
        var user = await Sim.SeedUserAsync(new UserSeed(known, "Hana", "Contact"));

        var imported = await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object>
        {
            ["@type"] = "importContacts",
            ["contacts"] = new[]
            {
                new Dictionary<string, object> { ["@type"] = "importedContact", ["phone_number"] = known, ["first_name"] = "Hana", ["last_name"] = string.Empty },
                new Dictionary<string, object> { ["@type"] = "importedContact", ["phone_number"] = "+19995550000", ["first_name"] = "Nobody", ["last_name"] = string.Empty },
            },
        }));

        SimulatorHarness.Expect(imported, "importedContacts");
        Assert.That(imported["user_ids"]!.AsArray().Select(i => i!.GetValue<long>()), Is.EqualTo(new[] { user.UserId, 0L }).AsCollection);
        var contacts = await Td.RequestAsync(Client, """{"@type":"getContacts"}""");
        Assert.That(contacts["user_ids"]!.AsArray().Select(i => i!.GetValue<long>()), Does.Contain(user.UserId));
        var found = await Td.RequestAsync(Client, """{"@type":"searchContacts","query":"hana","limit":10}""");
        Assert.That(found["total_count"]!.GetValue<int>(), Is.EqualTo(1));
        var chat = await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "createPrivateChat", ["user_id"] = user.UserId, ["force"] = false }));
        SimulatorHarness.Expect(chat, "chat");
        var outcome = await SendAndWaitAsync(chat["id"]!.GetValue<long>(), "to a contact");
        Assert.That(TdRecorder.Type(outcome), Is.EqualTo("updateMessageSendSucceeded"));
    }

    [Test]
    public async Task SearchUserByPhoneNumber_finds_visible_numbers_and_404s_hidden_ones()
    {
        var visible = SimulatorHarness.NewPhone();
        var hidden = SimulatorHarness.NewPhone();
        var user = await Sim.SeedUserAsync(new UserSeed(visible, "Ivan"));
        await Sim.SeedUserAsync(new UserSeed(hidden, "Jade", HidesPhone: true));

        var found = await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "searchUserByPhoneNumber", ["phone_number"] = visible, ["only_local"] = false }));
        var notFound = await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "searchUserByPhoneNumber", ["phone_number"] = hidden, ["only_local"] = false }));

        SimulatorHarness.Expect(found, "user");
        Assert.That(found["id"]!.GetValue<long>(), Is.EqualTo(user.UserId));
        SimulatorHarness.ExpectError(notFound, 404, "Not Found");
    }

    [Test]
    public async Task CreatePrivateChat_for_a_user_this_client_never_saw_fails()
    {
        var stranger = await Sim.SeedUserAsync(new UserSeed(SimulatorHarness.NewPhone(), "Unseen"));

        var answer = await Td.RequestAsync(Client, SimulatorHarness.Json(new Dictionary<string, object> { ["@type"] = "createPrivateChat", ["user_id"] = stranger.UserId, ["force"] = false }));

        SimulatorHarness.ExpectError(answer, 400, "User not found");
    }
}
