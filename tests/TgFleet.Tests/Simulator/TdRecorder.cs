using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using TgFleet.Tdlib;

namespace TgFleet.Tests.Simulator;

/// <summary>
/// Drives an <see cref="ITdJsonBackend"/> with raw JSON as the binding will: one receive thread,
/// responses matched by @extra, every object recorded per client (so tests can await updates and
/// check them against td_api.tl).
/// </summary>
internal sealed class TdRecorder
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly ConcurrentDictionary<int, List<JsonObject>> _objects = new();
    private readonly Thread _pump;
    private volatile bool _stop;
    private long _nextExtra;

    public TdRecorder(ITdJsonBackend backend)
    {
        Backend = backend;
        _pump = new Thread(Pump) { IsBackground = true, Name = "td-receive " + backend.Name };
        _pump.Start();
    }

    public ITdJsonBackend Backend { get; }

    public int CreateClient() => Backend.CreateClientId();

    /// <summary>Sends a request (an @extra is added) and awaits its answer.</summary>
    public async Task<JsonObject> RequestAsync(int client, string json, TimeSpan? deadline = null)
    {
        var request = JsonNode.Parse(json)!.AsObject();
        var extra = Interlocked.Increment(ref _nextExtra);
        request["@extra"] = extra;
        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[extra] = answer;
        var bytes = Encoding.UTF8.GetBytes(request.ToJsonString() + "\0");
        Backend.Send(client, bytes);
        try
        {
            return await answer.Task.WaitAsync(deadline ?? Deadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No answer to {json} within {(deadline ?? Deadline).TotalSeconds} s. Seen: {Describe(client)}");
        }
        finally
        {
            _pending.TryRemove(extra, out _);
        }
    }

    /// <summary>Sends a request and leaves its answer to be awaited later.</summary>
    public Task<JsonObject> StartRequest(int client, string json) => RequestAsync(client, json);

    public IReadOnlyList<JsonObject> Objects(int client)
    {
        var list = _objects.GetOrAdd(client, _ => []);
        lock (list)
        {
            return [.. list];
        }
    }

    public IEnumerable<JsonObject> AllObjects() => _objects.Keys.SelectMany(Objects);

    /// <summary>Awaits an object of <paramref name="client"/> (already received or to come) matching the predicate.</summary>
    public async Task<JsonObject> WaitForAsync(int client, Func<JsonObject, bool> predicate, TimeSpan? deadline = null)
    {
        JsonObject? found = null;
        await TgFleet.Testing.Wait.UntilAsync(() => (found = Objects(client).FirstOrDefault(predicate)) is not null, deadline ?? Deadline, () => Describe(client));
        return found!;
    }

    public Task<JsonObject> WaitForUpdateAsync(int client, string type, Func<JsonObject, bool>? predicate = null, TimeSpan? deadline = null) =>
        WaitForAsync(client, o => Type(o) == type && (predicate is null || predicate(o)), deadline);

    public Task<JsonObject> WaitForAuthorizationStateAsync(int client, string state, TimeSpan? deadline = null) =>
        WaitForUpdateAsync(client, "updateAuthorizationState", o => Type(o["authorization_state"]) == state, deadline);

    public static string? Type(JsonNode? node) => node?["@type"]?.GetValue<string>();

    /// <summary>
    /// The objects the binding's generated types cannot read as a known TDLib type (an
    /// UnknownObject, or a parse error), described for an assertion message.
    /// </summary>
    public static IEnumerable<string> UnreadableByTheBinding(IEnumerable<JsonObject> objects)
    {
        foreach (var obj in objects)
        {
            string? problem;
            try
            {
                problem = TgFleet.Tdlib.Api.TdJsonReader.Parse(Encoding.UTF8.GetBytes(obj.ToJsonString())) is TgFleet.Tdlib.Api.UnknownObject
                    ? "unknown to the generated types"
                    : null;
            }
            catch (System.Text.Json.JsonException e)
            {
                problem = e.Message;
            }

            if (problem is not null)
            {
                yield return $"{Type(obj)}: {problem}";
            }
        }
    }

    public string Describe(int client) =>
        string.Join(", ", Objects(client).TakeLast(12).Select(o => Type(o) + (Type(o) == "updateAuthorizationState" ? "(" + Type(o["authorization_state"]) + ")" : Type(o) == "error" ? "(" + o["message"] + ")" : string.Empty)));

    private void Pump()
    {
        while (!_stop)
        {
            var bytes = Backend.Receive(TimeSpan.FromMilliseconds(100));
            if (bytes.IsEmpty)
            {
                continue;
            }

            var obj = JsonNode.Parse(bytes)!.AsObject();
            var client = obj["@client_id"]?.GetValue<int>() ?? 0;
            var list = _objects.GetOrAdd(client, _ => []);
            lock (list)
            {
                list.Add(obj);
            }

            if (obj["@extra"] is JsonValue extra && extra.TryGetValue<long>(out var id) && _pending.TryGetValue(id, out var answer))
            {
                answer.TrySetResult(obj);
            }
        }
    }

    /// <summary>Stops the receive thread (the harness calls it after disposing the backend).</summary>
    public void Stop()
    {
        _stop = true;
        _pump.Join();
    }
}
