using NUnit.Framework;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_the_same_session_is_live_twice : SenderFixture
{
    [Test]
    public async Task Both_get_AUTH_KEY_DUPLICATED_the_session_dies_and_the_witness_counts_it()
    {
        var chat = await RecipientAsync("dup_witness");
        // A second worker restores the same session files elsewhere and starts them while the first still runs.
        var copy = Sim.NewDirectory();
        System.IO.Directory.CreateDirectory(copy);
        File.Copy(Path.Combine(Directory, "td.binlog"), Path.Combine(copy, "td.binlog"));
        var otherWorker = Sim.NewBackend();

        var twin = await SimulatorHarness.StartClientAsync(otherWorker, copy);

        var second = await otherWorker.WaitForUpdateAsync(twin, "updateServiceNotification");
        var first = await Td.WaitForUpdateAsync(Client, "updateServiceNotification");
        Assert.That(second["type"]!.GetValue<string>(), Does.StartWith("AUTH_KEY_DROP_"));
        Assert.That(first["type"]!.GetValue<string>(), Does.StartWith("AUTH_KEY_DROP_"));
        var summary = await Sim.SummaryAsync();
        Assert.That(summary.AuthKeyDuplicatedCount, Is.EqualTo(1));
        Assert.That(summary.AuthKeyDuplicated[0].Phone, Is.EqualTo(Phone.TrimStart('+')));

        var outcome = await SendAndWaitAsync(chat, "on a dead session");
        Assert.That(outcome["error"]!["code"]!.GetValue<int>(), Is.EqualTo(406));
        Assert.That(outcome["error"]!["message"]!.GetValue<string>(), Is.EqualTo("AUTH_KEY_DUPLICATED"));
        Assert.That(await Sim.ReceivedAsync("@dup_witness"), Is.Empty);
        Assert.That(Td.Objects(Client).Any(o => TdRecorder.Type(o) == "updateAuthorizationState" && TdRecorder.Type(o["authorization_state"]) == "authorizationStateLoggingOut"),
            Is.False, "TDLib does not log out by itself on AUTH_KEY_DUPLICATED: the app must destroy the client");
        Sim.AssertEverythingConformsToSchema();
    }

    [Test]
    public async Task A_session_resumed_after_its_first_client_closed_is_no_duplicate()
    {
        var phone = SimulatorHarness.NewPhone();
        await Sim.SeedAccountAsync(phone);
        var directory = Sim.NewDirectory();
        var firstWorker = Sim.NewBackend();
        var client = await Sim.LoginAsync(firstWorker, phone, directory);
        await firstWorker.RequestAsync(client, """{"@type":"close"}""");
        await firstWorker.WaitForAuthorizationStateAsync(client, "authorizationStateClosed");
        var before = (await Sim.SummaryAsync()).AuthKeyDuplicatedCount;
        await Sim.SeedUserAsync(new TgFleet.Simulator.UserSeed(SimulatorHarness.NewPhone(), "M", Username: "moved_witness"));

        var secondWorker = Sim.NewBackend();
        var resumed = await SimulatorHarness.StartClientAsync(secondWorker, directory);
        var chat = await SimulatorHarness.ChatByUsernameAsync(secondWorker, resumed, "moved_witness");

        Assert.That(TdRecorder.Type(await secondWorker.RequestAsync(resumed, SimulatorHarness.SendText(chat, "moved cleanly"))), Is.EqualTo("message"));
        await secondWorker.WaitForUpdateAsync(resumed, "updateMessageSendSucceeded");
        Assert.That((await Sim.SummaryAsync()).AuthKeyDuplicatedCount, Is.EqualTo(before));
    }

    [Test]
    public async Task A_second_client_on_the_same_directory_in_one_process_cannot_lock_it()
    {
        var other = Td.CreateClient();

        var answer = await Td.RequestAsync(other, SimulatorHarness.Parameters(Directory));

        SimulatorHarness.ExpectError(answer, 400, "Can't lock file \"" + Directory + "/td.binlog\", because it is already in use by current program");
    }
}
