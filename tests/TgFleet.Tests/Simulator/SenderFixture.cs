using NUnit.Framework;

namespace TgFleet.Tests.Simulator;

/// <summary>Base of fixtures that need a logged-in sender on their own simulator.</summary>
public abstract class SenderFixture
{
    private protected SimulatorHarness Sim { get; private set; } = null!;

    private protected TdRecorder Td { get; private set; } = null!;

    private protected int Client { get; private set; }

    private protected string Phone { get; private set; } = null!;

    private protected string Directory { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSenderAsync()
    {
        Sim = await SimulatorHarness.StartAsync();
        Phone = SimulatorHarness.NewPhone();
        await Sim.SeedAccountAsync(Phone);
        Td = Sim.NewBackend();
        Directory = Sim.NewDirectory();
        Client = await Sim.LoginAsync(Td, Phone, Directory);
    }

    [OneTimeTearDown]
    public async Task StopSenderAsync() => await Sim.DisposeAsync();

    private protected async Task<long> RecipientAsync(string username, bool privacyRestricted = false, IReadOnlyList<TgFleet.Simulator.ScriptedReply>? replies = null)
    {
        await Sim.SeedUserAsync(new TgFleet.Simulator.UserSeed(SimulatorHarness.NewPhone(), "R", username, Username: username, PrivacyRestricted: privacyRestricted, Replies: replies));
        return await SimulatorHarness.ChatByUsernameAsync(Td, Client, username);
    }

    /// <summary>Sends and awaits the final outcome: updateMessageSendSucceeded or updateMessageSendFailed.</summary>
    private protected async Task<System.Text.Json.Nodes.JsonObject> SendAndWaitAsync(long chatId, string text, TimeSpan? deadline = null)
    {
        var pending = await Td.RequestAsync(Client, SimulatorHarness.SendText(chatId, text));
        SimulatorHarness.Expect(pending, "message");
        var id = pending["id"]!.GetValue<long>();
        return await Td.WaitForAsync(Client, o => TdRecorder.Type(o) is "updateMessageSendSucceeded" or "updateMessageSendFailed" && o["old_message_id"]!.GetValue<long>() == id, deadline);
    }
}
