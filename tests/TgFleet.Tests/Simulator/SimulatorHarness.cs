using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TgFleet.Simulator;
using TgFleet.Simulator.Backend;

namespace TgFleet.Tests.Simulator;

/// <summary>
/// An in-process simulator on 127.0.0.1 (port 0), its control/witness API over HTTP, and
/// simulator backends driven through raw JSON. One per fixture.
/// </summary>
internal sealed class SimulatorHarness : IAsyncDisposable
{
    private static int _phoneCounter;
    private readonly List<(SimulatorTdJsonBackend Backend, TdRecorder Recorder)> _backends = [];
    private readonly string _root = TgFleet.Testing.TestInfrastructure.CreateTempDirectory("sim");

    private SimulatorHarness(SimulatorServer server)
    {
        Server = server;
        Control = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public SimulatorServer Server { get; }

    public HttpClient Control { get; }

    public static async Task<SimulatorHarness> StartAsync() => new(await SimulatorServer.StartAsync());

    /// <summary>A fresh phone number (unique per test run).</summary>
    public static string NewPhone() => "+4477" + Interlocked.Increment(ref _phoneCounter).ToString("0000000") + Environment.ProcessId % 10;

    public string NewDirectory(string? name = null) => Path.Combine(_root, name ?? Guid.NewGuid().ToString("N"));

    public TdRecorder NewBackend()
    {
        var backend = new SimulatorTdJsonBackend(Server.BackendAddress);
        var recorder = new TdRecorder(backend);
        _backends.Add((backend, recorder));
        return recorder;
    }

    // ---------------------------------------------------------------- control API

    public async Task<Created> SeedAccountAsync(string phone, string? password = null, string? username = null, string? hint = null)
    {
        var response = await Control.PostAsJsonAsync("control/accounts", new[] { new AccountSeed(phone, "Ann", "Sender", username, password, hint) });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Created[]>())![0];
    }

    public async Task<Created> SeedUserAsync(UserSeed seed)
    {
        var response = await Control.PostAsJsonAsync("control/users", new[] { seed });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Created[]>())![0];
    }

    public async Task<string> CodeAsync(string phone)
    {
        var view = await Control.GetFromJsonAsync<CodeView>("control/codes/" + Uri.EscapeDataString(phone));
        return view!.Code;
    }

    public async Task SetFaultsAsync(string account, AccountFaults faults) =>
        (await Control.PutAsJsonAsync("control/accounts/" + Uri.EscapeDataString(account) + "/faults", faults)).EnsureSuccessStatusCode();

    public async Task SetBehaviourAsync(string user, UserBehaviour behaviour) =>
        (await Control.PutAsJsonAsync("control/users/" + Uri.EscapeDataString(user) + "/behaviour", behaviour)).EnsureSuccessStatusCode();

    public async Task<ReceivedMessage[]> ReceivedAsync(string user) =>
        (await Control.GetFromJsonAsync<ReceivedMessage[]>("witness/users/" + Uri.EscapeDataString(user) + "/received"))!;

    public async Task<WitnessSummary> SummaryAsync() => (await Control.GetFromJsonAsync<WitnessSummary>("witness/summary"))!;

    public async Task SetReachableAsync(bool reachable) =>
        (await Control.PutAsJsonAsync("control/network", new NetworkState(reachable))).EnsureSuccessStatusCode();

    public async Task SetProxyDownAsync(string server, int port, bool down) =>
        (await Control.PutAsJsonAsync("control/proxies", new ProxyState(server, port, down))).EnsureSuccessStatusCode();

    public async Task InjectAsync(string from, string to, string text) =>
        (await Control.PostAsJsonAsync("control/messages", new InjectMessage(from, to, text))).EnsureSuccessStatusCode();

    // ---------------------------------------------------------------- TDLib flows through JSON

    public static string Parameters(string directory, string key = "") => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["@type"] = "setTdlibParameters",
        ["use_test_dc"] = false,
        ["database_directory"] = directory,
        ["files_directory"] = directory,
        ["database_encryption_key"] = key,
        ["use_file_database"] = false,
        ["use_chat_info_database"] = false,
        ["use_message_database"] = false,
        ["use_secret_chats"] = false,
        ["api_id"] = 94575,
        ["api_hash"] = "a3406de8d171bb422bb6ddf3bbd800e2",
        ["system_language_code"] = "en",
        ["device_model"] = "TgFleet tests",
        ["system_version"] = "Linux",
        ["application_version"] = "1.0",
    });

    public static string Json(object request) => JsonSerializer.Serialize(request);

    /// <summary>Starts a client up to authorizationStateWaitPhoneNumber (or Ready if the directory holds a session).</summary>
    public static async Task<int> StartClientAsync(TdRecorder td, string directory, string key = "")
    {
        var client = td.CreateClient();
        await td.RequestAsync(client, """{"@type":"getOption","name":"version"}""");
        var answer = await td.RequestAsync(client, Parameters(directory, key));
        Assert.That(TdRecorder.Type(answer), Is.EqualTo("ok"), answer.ToJsonString());
        return client;
    }

    /// <summary>Logs a new client in with the code read from the control API.</summary>
    public async Task<int> LoginAsync(TdRecorder td, string phone, string directory, string? password = null, string key = "")
    {
        var client = await StartClientAsync(td, directory, key);
        await td.WaitForAuthorizationStateAsync(client, "authorizationStateWaitPhoneNumber");
        Expect(await td.RequestAsync(client, Json(new Dictionary<string, object> { ["@type"] = "setAuthenticationPhoneNumber", ["phone_number"] = phone })), "ok");
        var code = await CodeAsync(phone);
        Expect(await td.RequestAsync(client, Json(new Dictionary<string, object> { ["@type"] = "checkAuthenticationCode", ["code"] = code })), "ok");
        if (password is not null)
        {
            Expect(await td.RequestAsync(client, Json(new Dictionary<string, object> { ["@type"] = "checkAuthenticationPassword", ["password"] = password })), "ok");
        }

        await td.WaitForAuthorizationStateAsync(client, "authorizationStateReady");
        return client;
    }

    /// <summary>Resolves a username to a private chat id.</summary>
    public static async Task<long> ChatByUsernameAsync(TdRecorder td, int client, string username)
    {
        var chat = await td.RequestAsync(client, Json(new Dictionary<string, object> { ["@type"] = "searchPublicChat", ["username"] = username }));
        Expect(chat, "chat");
        return chat["id"]!.GetValue<long>();
    }

    public static string SendText(long chatId, string text) => Json(new Dictionary<string, object>
    {
        ["@type"] = "sendMessage",
        ["chat_id"] = chatId,
        ["input_message_content"] = new Dictionary<string, object>
        {
            ["@type"] = "inputMessageText",
            ["text"] = new Dictionary<string, object> { ["@type"] = "formattedText", ["text"] = text, ["entities"] = Array.Empty<object>() },
        },
    });

    public static void Expect(JsonObject answer, string type) =>
        Assert.That(TdRecorder.Type(answer), Is.EqualTo(type), answer.ToJsonString());

    public static void ExpectError(JsonObject answer, int code, string message)
    {
        Assert.That(TdRecorder.Type(answer), Is.EqualTo("error"), answer.ToJsonString());
        Assert.That(answer["code"]!.GetValue<int>(), Is.EqualTo(code), answer.ToJsonString());
        Assert.That(answer["message"]!.GetValue<string>(), Is.EqualTo(message));
    }

    /// <summary>Every object every backend emitted must match td_api.tl and read with the binding's generated types.</summary>
    public void AssertEverythingConformsToSchema()
    {
        var emitted = _backends.SelectMany(b => b.Recorder.AllObjects()).ToList();
        Assert.That(emitted.SelectMany(o => TlSchema.Instance.Violations(o)).Distinct().Take(20), Is.Empty);
        Assert.That(TdRecorder.UnreadableByTheBinding(emitted).Distinct().Take(20), Is.Empty);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (backend, recorder) in _backends)
        {
            recorder.Stop();
            await backend.DisposeAsync();
        }

        Control.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was written.
        }
    }
}
