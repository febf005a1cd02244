using NUnit.Framework;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_an_unsupported_function_is_called : SenderFixture
{
    [Test]
    public async Task An_unknown_type_gets_TDLibs_parse_error()
    {
        SimulatorHarness.ExpectError(await Td.RequestAsync(Client, """{"@type":"fooBar"}"""), 400, "Failed to parse JSON object as TDLib request: Unknown class \"fooBar\"");
    }

    [Test]
    public async Task A_real_function_the_simulator_does_not_play_gets_an_error_never_silence()
    {
        var answer = await Td.RequestAsync(Client, """{"@type":"getStickers","query":"x","limit":1}""");

        Assert.That(answer["code"]!.GetValue<int>(), Is.EqualTo(400));
        Assert.That(answer["message"]!.GetValue<string>(), Does.Contain("getStickers"));
    }

    [Test]
    public void Execute_answers_synchronous_requests_like_td_execute()
    {
        var version = Td.Backend.Execute("""{"@type":"getOption","name":"version"}"""u8);
        var notSync = Td.Backend.Execute("""{"@type":"getMe"}"""u8);

        Assert.That(version, Is.EqualTo("""{"@type":"optionValueString","value":"1.8.65"}"""));
        Assert.That(notSync, Is.EqualTo("""{"@type":"error","code":400,"message":"The method can't be executed synchronously"}"""));
    }

    [Test]
    public async Task Options_can_be_set_and_read()
    {
        SimulatorHarness.Expect(await Td.RequestAsync(Client, """{"@type":"setOption","name":"online","value":{"@type":"optionValueBoolean","value":false}}"""), "ok");
        var online = await Td.RequestAsync(Client, """{"@type":"getOption","name":"online"}""");
        Assert.That(TdRecorder.Type(online), Is.EqualTo("optionValueBoolean"));
        SimulatorHarness.Expect(await Td.RequestAsync(Client, """{"@type":"setLogVerbosityLevel","new_verbosity_level":1}"""), "ok");
    }
}
