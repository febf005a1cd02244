using System.Collections.Concurrent;
using System.Text;
using NUnit.Framework;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

/// <summary>The seam: a scripted ITdJsonBackend (as the simulator's) under the same manager.</summary>
[TestFixture, Category("Binding")]
public sealed class When_the_backend_is_not_libtdjson
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Test]
    public void A_different_library_version_fails_the_start_naming_both()
    {
        var backend = new ScriptedBackend("1.8.99");

        var error = Assert.Throws<TdlibVersionMismatchException>(() => _ = new TdClientManager(backend));

        Assert.That(error!.Message, Does.Contain("1.8.99").And.Contain("1.8.65"));
        Assert.That((error.LibraryVersion, error.SchemaVersion), Is.EqualTo(("1.8.99", "1.8.65")));
    }

    [Test]
    public async Task A_different_version_runs_when_allowed()
    {
        var backend = new ScriptedBackend("1.8.99");

        await using var manager = new TdClientManager(backend, new TdlibOptions { AllowVersionMismatch = true, ReceivePollInterval = TimeSpan.FromMilliseconds(50) });

        Assert.That(manager.LibraryVersion, Is.EqualTo("1.8.99"));
    }

    [Test]
    public async Task Unknown_objects_reach_the_client_in_order_and_the_loop_goes_on()
    {
        var backend = new ScriptedBackend(Td.TdApi.SchemaVersion);
        await using var manager = new TdClientManager(backend, new TdlibOptions { ReceivePollInterval = TimeSpan.FromMilliseconds(50) });
        var client = manager.CreateClient();

        backend.Push($$"""{"@type":"updateSomethingNew","x":1,"@client_id":{{client.Id}}}""");
        backend.Push("""{"this is not json""");
        backend.Push($$"""{"@type":"updateAuthorizationState","authorization_state":{"@type":"authorizationStateWaitTdlibParameters"},"@client_id":{{client.Id}}}""");
        var answer = client.SendAsync(new Td.TestSquareInt { X = 3 }, Deadline);
        var request = await backend.NextRequestAsync(Deadline);
        backend.Push($$"""{"@type":"testInt","value":9,"@extra":{{request["@extra"]}},"@client_id":{{client.Id}}}""");

        using var timeout = new CancellationTokenSource(Deadline);
        var first = await client.Updates.ReadAsync(timeout.Token);
        var second = await client.Updates.ReadAsync(timeout.Token);
        Assert.That(first, Is.InstanceOf<Td.UnknownObject>().With.Property(nameof(Td.UnknownObject.Type)).EqualTo("updateSomethingNew"));
        Assert.That(second, Is.InstanceOf<Td.UpdateAuthorizationState>());
        Assert.That((await answer).Value, Is.EqualTo(9));
        Assert.That(request["@type"]!.GetValue<string>(), Is.EqualTo("testSquareInt"));

        backend.Push($$"""{"@type":"updateAuthorizationState","authorization_state":{"@type":"authorizationStateClosed"},"@client_id":{{client.Id}}}""");
        await client.Closed.WaitAsync(Deadline);
        Assert.That(manager.ClientCount, Is.Zero);
    }

    [Test]
    public async Task An_unreadable_answer_fails_its_request_instead_of_leaving_it_waiting()
    {
        var backend = new ScriptedBackend(Td.TdApi.SchemaVersion);
        await using var manager = new TdClientManager(backend, new TdlibOptions { ReceivePollInterval = TimeSpan.FromMilliseconds(50) });
        var client = manager.CreateClient();

        var answer = client.SendAsync(new Td.TestSquareInt { X = 3 }, Deadline);
        var request = await backend.NextRequestAsync(Deadline);
        backend.Push($$"""{"@type":"testInt","value":"not a number","@extra":{{request["@extra"]}},"@client_id":{{client.Id}}}""");

        var error = Assert.ThrowsAsync<TdException>(async () => await answer);
        Assert.That(error!.Message, Does.Contain("could not be read"));
        Assert.That(manager.PendingRequestCount, Is.Zero);
        backend.Push($$"""{"@type":"updateAuthorizationState","authorization_state":{"@type":"authorizationStateClosed"},"@client_id":{{client.Id}}}""");
        await client.Closed.WaitAsync(Deadline);
    }

    private sealed class ScriptedBackend(string version) : ITdJsonBackend
    {
        private readonly BlockingCollection<byte[]> _outgoing = [];
        private readonly ConcurrentQueue<string> _requests = new();
        private byte[]? _current;
        private int _lastClientId;

        public string Name => "scripted";

        public void Push(string json) => _outgoing.Add(Encoding.UTF8.GetBytes(json));

        public async Task<System.Text.Json.Nodes.JsonNode> NextRequestAsync(TimeSpan deadline)
        {
            string? request = null;
            await Testing.Wait.UntilAsync(() => _requests.TryDequeue(out request), deadline, () => "no request sent");
            return System.Text.Json.Nodes.JsonNode.Parse(request!)!;
        }

        public int CreateClientId() => Interlocked.Increment(ref _lastClientId);

        public void Send(int clientId, ReadOnlySpan<byte> requestUtf8) => _requests.Enqueue(Encoding.UTF8.GetString(requestUtf8[..^1]));

        public ReadOnlySpan<byte> Receive(TimeSpan timeout) =>
            _outgoing.TryTake(out _current, timeout) ? _current : default;

        public string? Execute(ReadOnlySpan<byte> requestUtf8) =>
            $$"""{"@type":"optionValueString","value":"{{version}}"}""";
    }
}
