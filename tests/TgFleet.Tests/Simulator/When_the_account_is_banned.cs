using NUnit.Framework;
using TgFleet.Simulator;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_the_account_is_banned : SenderFixture
{
    [Test]
    public async Task The_send_fails_with_USER_DEACTIVATED_BAN_and_TDLib_logs_out_by_itself()
    {
        var chat = await RecipientAsync("ban_witness");
        await Sim.SetFaultsAsync(Phone, new AccountFaults(Banned: true));

        var outcome = await SendAndWaitAsync(chat, "from a banned account");

        Assert.That(outcome["error"]!["code"]!.GetValue<int>(), Is.EqualTo(401));
        Assert.That(outcome["error"]!["message"]!.GetValue<string>(), Is.EqualTo("USER_DEACTIVATED_BAN"));
        await Td.WaitForAuthorizationStateAsync(Client, "authorizationStateLoggingOut");
        await Td.WaitForAuthorizationStateAsync(Client, "authorizationStateClosed");
        Assert.That(File.Exists(Path.Combine(Directory, "td.binlog")), Is.False, "TDLib destroys the database after a 401");
        Assert.That(await Sim.ReceivedAsync("@ban_witness"), Is.Empty);
    }
}
