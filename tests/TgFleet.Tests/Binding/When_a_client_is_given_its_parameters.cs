using NUnit.Framework;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_a_client_is_given_its_parameters
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Test]
    public async Task It_waits_for_a_phone_number_and_closes_on_dispose()
    {
        using var directory = new TempDirectory();
        var manager = BindingRun.Manager;
        var client = manager.CreateClient();

        await using (client)
        {
            var ok = await client.SendAsync(BindingRun.Parameters(directory.Path), Deadline);

            Assert.That(ok, Is.InstanceOf<Td.Ok>());
            await BindingRun.NextUpdateAsync<Td.UpdateAuthorizationState>(
                client, update => update.AuthorizationState is Td.AuthorizationStateWaitPhoneNumber, Deadline);
            Assert.That(client.AuthorizationState, Is.InstanceOf<Td.AuthorizationStateWaitPhoneNumber>());
        }

        Assert.That(client.Closed.IsCompletedSuccessfully, Is.True);
        Assert.That(client.AuthorizationState, Is.InstanceOf<Td.AuthorizationStateClosed>());
        Assert.That(File.Exists(Path.Combine(directory.Path, "td.binlog")), Is.True, "close keeps the binlog");
    }
}
