using NUnit.Framework;
using TgFleet.Tdlib;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_a_client_is_never_used
{
    [Test]
    public async Task Disposing_it_still_closes_it_in_TDLib()
    {
        var manager = BindingRun.Manager;
        var client = manager.CreateClient();
        Assert.That(manager.ClientCount, Is.GreaterThanOrEqualTo(1));

        await client.DisposeAsync();

        Assert.That(client.Closed.IsCompletedSuccessfully, Is.True);
        var updates = new List<TgFleet.Tdlib.Api.TdObject>();
        await foreach (var update in client.Updates.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token))
        {
            updates.Add(update);
        }

        Assert.That(updates[^1], Is.InstanceOf<TgFleet.Tdlib.Api.UpdateAuthorizationState>()
            .With.Property("AuthorizationState").InstanceOf<TgFleet.Tdlib.Api.AuthorizationStateClosed>(), "the update channel ends with Closed");
        Assert.That(() => client.SendAsync(new TgFleet.Tdlib.Api.TestSquareInt { X = 1 }), Throws.InstanceOf<ObjectDisposedException>());
    }
}

[TestFixture, Category("Binding")]
public sealed class When_a_second_manager_wants_the_same_library
{
    [Test]
    public void It_is_refused_because_td_receive_serves_the_whole_process()
    {
        _ = BindingRun.Manager;

        Assert.That(() => TdClientManager.StartLibTdJson(), Throws.InvalidOperationException.With.Message.Contains("one receive loop"));
    }
}
