using NUnit.Framework;
using TgFleet.Testing;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_a_thousand_clients_come_and_go
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static int Threads => Directory.GetFileSystemEntries("/proc/self/task").Length;

    private static int Handles => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    [Test]
    public async Task No_client_thread_or_handle_is_left_behind()
    {
        var manager = BindingRun.Manager;

        // Warm up the runtime; TDLib itself runs a fixed pool (~40 threads) while any client lives and stops it when none does.
        await RoundAsync(manager);
        var clientsBefore = manager.ClientCount;
        var threadsBefore = Threads;
        var handlesBefore = Handles;

        var threadsWithClients = await RoundAsync(manager);

        Assert.That(threadsWithClients - threadsBefore, Is.LessThan(64), "TDLib's fixed pool, not a thread per client");
        Assert.That(manager.ClientCount, Is.EqualTo(clientsBefore));
        Assert.That(manager.PendingRequestCount, Is.Zero);
        await Wait.UntilAsync(() => Handles <= handlesBefore, Deadline, () => $"fds {handlesBefore} before, {Handles} now");
        await Wait.UntilAsync(() => Threads <= threadsBefore + 4, Deadline, () => $"threads {threadsBefore} before, {threadsWithClients} with 1,000 clients, {Threads} now");
    }

    /// <summary>Starts 1,000 clients (getOption, no setTdlibParameters), closes them all; returns the thread count while they lived.</summary>
    private static async Task<int> RoundAsync(TgFleet.Tdlib.TdClientManager manager)
    {
        var clientsBefore = manager.ClientCount;
        var clients = Enumerable.Range(0, 1000).Select(_ => manager.CreateClient()).ToArray();
        var versions = await Task.WhenAll(clients.Select(c => c.SendAsync(new Td.GetOption { Name = "version" }, Deadline)));
        var threads = Threads;
        Assert.That(manager.ClientCount, Is.EqualTo(clientsBefore + 1000));
        Assert.That(versions, Has.All.InstanceOf<Td.OptionValueString>());

        await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));

        Assert.That(clients.All(c => c.Closed.IsCompletedSuccessfully), Is.True, "every client reached authorizationStateClosed");
        Assert.That(manager.ClientCount, Is.EqualTo(clientsBefore));
        return threads;
    }
}
