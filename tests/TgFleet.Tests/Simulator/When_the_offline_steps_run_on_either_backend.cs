using System.Text.Json.Nodes;
using NUnit.Framework;

namespace TgFleet.Tests.Simulator;

/// <summary>
/// Conformance: the steps the real libtdjson can take offline (parameters, states up to the phone
/// number, invalid-parameter errors, proxies, close, a wrong database key) give the same object
/// types and the same error codes and texts from both backends. One body, two backends.
/// </summary>
[TestFixture("libtdjson"), TestFixture("simulator"), Category("Simulator")]
public sealed class When_the_offline_steps_run_on_either_backend(string backendName)
{
    private SimulatorHarness? _sim;
    private TdRecorder _td = null!;
    private string _root = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _root = TgFleet.Testing.TestInfrastructure.CreateTempDirectory("conformance");
        if (backendName == "libtdjson")
        {
            // The binding's own backend; this fixture's recorder is the process's only td_receive
            // loop while it runs, and stops in the tear-down.
            _td = new TdRecorder(TgFleet.Tdlib.LibTdJsonBackend.Create());
        }
        else
        {
            _sim = await SimulatorHarness.StartAsync();
            _td = _sim.NewBackend();
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_sim is not null)
        {
            await _sim.DisposeAsync();
        }
        else
        {
            _td.Stop();
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static string Outcome(JsonObject answer) => TdRecorder.Type(answer) == "error"
        ? $"error {answer["code"]} {answer["message"]}"
        : TdRecorder.Type(answer)!;

    private async Task<string> AskAsync(int client, string json) => Outcome(await _td.RequestAsync(client, json, TimeSpan.FromSeconds(20)));

    [Test]
    public async Task The_same_requests_give_the_same_answers_and_states()
    {
        var directory = Path.Combine(_root, "db");
        var client = _td.CreateClient();
        var answers = new List<string>
        {
            await AskAsync(client, """{"@type":"getOption","name":"version"}"""),
            await AskAsync(client, """{"@type":"getAuthorizationState"}"""),
            await AskAsync(client, """{"@type":"getMe"}"""),
            await AskAsync(client, """{"@type":"fooBar"}"""),
            await AskAsync(client, """{"@type":"setTdlibParameters","database_directory":"x","api_id":0,"api_hash":""}"""),
            await AskAsync(client, SimulatorHarness.Parameters(directory)),
            await AskAsync(client, """{"@type":"getAuthorizationState"}"""),
            await AskAsync(client, """{"@type":"getChats","chat_list":{"@type":"chatListMain"},"limit":10}"""),
            await AskAsync(client, SimulatorHarness.SendText(1, "x")),
            await AskAsync(client, """{"@type":"checkAuthenticationCode","code":"12345"}"""),
            await AskAsync(client, """{"@type":"setAuthenticationPhoneNumber","phone_number":""}"""),
            await AskAsync(client, SimulatorHarness.Parameters(directory)),
            await AskAsync(client, """{"@type":"getOption","name":"no_such_option_here"}"""),
            await AskAsync(client, """{"@type":"getProxies"}"""),
        };
        var added = await _td.RequestAsync(client, """{"@type":"addProxy","proxy":{"@type":"proxy","server":"127.0.0.1","port":1,"type":{"@type":"proxyTypeSocks5","username":"","password":""}},"enable":false,"comment":"x"}""");
        answers.Add(Outcome(added));
        answers.Add(await AskAsync(client, """{"@type":"addProxy","enable":true,"comment":"x"}"""));
        answers.Add(await AskAsync(client, $$"""{"@type":"removeProxy","proxy_id":{{added["id"]}}}"""));
        answers.Add(await AskAsync(client, """{"@type":"close"}"""));
        await _td.WaitForAuthorizationStateAsync(client, "authorizationStateClosed");
        answers.Add(await AskAsync(client, """{"@type":"getOption","name":"version"}"""));
        var reopened = _td.CreateClient();
        answers.Add(await AskAsync(reopened, SimulatorHarness.Parameters(directory, Convert.ToBase64String("another key"u8.ToArray()))));

        Assert.That(answers, Is.EqualTo(Expected).AsCollection);
        var states = _td.Objects(client).Where(o => TdRecorder.Type(o) == "updateAuthorizationState").Select(o => TdRecorder.Type(o["authorization_state"]));
        Assert.That(states, Is.EqualTo(ExpectedStates).AsCollection);
        var first = _td.Objects(client).Take(3).Select(o => TdRecorder.Type(o) + ":" + (o["name"] ?? TdRecorder.Type(o["authorization_state"])));
        Assert.That(first, Is.EqualTo(ExpectedStart).AsCollection);
        Assert.That(File.Exists(Path.Combine(directory, "td.binlog")), Is.True);
        Assert.That(_td.Objects(client).SelectMany(o => TlSchema.Instance.Violations(o)).Distinct(), Is.Empty, "every object matches td_api.tl");
        Assert.That(TdRecorder.UnreadableByTheBinding(_td.Objects(client)).Distinct(), Is.Empty, "every object reads with the generated types");
    }

    private static readonly string[] Expected =
    [
        "optionValueString",
        "authorizationStateWaitTdlibParameters",
        "error 400 Initialization parameters are needed: call setTdlibParameters first",
        "error 400 Failed to parse JSON object as TDLib request: Unknown class \"fooBar\"",
        "error 400 Valid api_id must be provided. Can be obtained at https://my.telegram.org",
        "ok",
        "authorizationStateWaitPhoneNumber",
        "error 401 Unauthorized",
        "error 401 Unauthorized",
        "error 400 Call to checkAuthenticationCode unexpected",
        "error 400 Phone number must be non-empty",
        "error 400 Unexpected setTdlibParameters",
        "optionValueEmpty",
        "addedProxies",
        "addedProxy",
        "error 400 Proxy must be non-empty",
        "ok",
        "ok",
        "error 500 Request aborted",
        "error 401 Wrong database encryption key",
    ];

    private static readonly string[] ExpectedStates =
    [
        "authorizationStateWaitTdlibParameters", "authorizationStateWaitPhoneNumber", "authorizationStateClosing", "authorizationStateClosed",
    ];

    private static readonly string[] ExpectedStart =
    [
        "updateOption:version", "updateOption:commit_hash", "updateAuthorizationState:authorizationStateWaitTdlibParameters",
    ];
}
