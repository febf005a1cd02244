using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_TDLib_JSON_is_read_and_written
{
    private const string ErrorJson = """{"@type":"error","code":400,"message":"PHONE_NUMBER_INVALID","@extra":7,"@client_id":3}""";

    private static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Binding", "Samples", name + ".json"));

    [TestCase("message")]
    [TestCase("chat")]
    [TestCase("user")]
    [TestCase("proxy")]
    public void A_complex_object_round_trips_exactly(string type) => AssertRoundTrip(Sample(type));

    [Test]
    public void An_error_round_trips_with_extra_and_client_id()
    {
        AssertRoundTrip(ErrorJson);
        var error = Td.TdJsonReader.Parse<Td.Error>(ErrorJson);
        Assert.That((error.Code, error.Message, error.Extra, error.ClientId), Is.EqualTo((400, "PHONE_NUMBER_INVALID", 7L, 3)));
    }

    [Test]
    public void Int64_values_above_2_to_the_53_survive()
    {
        var message = Td.TdJsonReader.Parse<Td.Message>(Sample("message"));
        var original = JsonNode.Parse(Sample("message"))!["media_album_id"]!.GetValue<string>();

        Assert.That(message.MediaAlbumId, Is.GreaterThan(1L << 53));
        Assert.That(message.MediaAlbumId.ToString(), Is.EqualTo(original));
        Assert.That(JsonNode.Parse(message.ToJson())!["media_album_id"]!.GetValue<string>(), Is.EqualTo(original), "int64 is written as a JSON string");
    }

    [Test]
    public void Type_first_or_last_reads_the_same()
    {
        var last = Td.TdJsonReader.Parse<Td.Proxy>("""{"server":"127.0.0.1","port":1080,"type":{"username":"u","password":"p","@type":"proxyTypeSocks5"},"@type":"proxy"}""");

        Assert.That(last.Server, Is.EqualTo("127.0.0.1"));
        Assert.That(last.Port, Is.EqualTo(1080));
        Assert.That(last.Type, Is.InstanceOf<Td.ProxyTypeSocks5>().With.Property(nameof(Td.ProxyTypeSocks5.Username)).EqualTo("u"));
    }

    [Test]
    public void Unknown_fields_are_ignored_and_unknown_types_keep_their_raw_JSON()
    {
        var extended = Td.TdJsonReader.Parse("""{"@type":"ok","added_in_1_9":{"a":[1,2]},"@client_id":2}"""u8);
        const string newer = """{"@type":"updateSomethingNew","x":1,"@client_id":4}""";
        var unknown = Td.TdJsonReader.Parse(Encoding.UTF8.GetBytes(newer));
        const string nested = """{"@type":"updateAuthorizationState","authorization_state":{"@type":"authorizationStateWaitTelepathy"},"@client_id":5}""";
        var unknownInside = Td.TdJsonReader.Parse(Encoding.UTF8.GetBytes(nested));

        Assert.That(extended, Is.InstanceOf<Td.Ok>().With.Property(nameof(Td.Ok.ClientId)).EqualTo(2));
        Assert.That(unknown, Is.InstanceOf<Td.UnknownObject>());
        Assert.That(((Td.UnknownObject)unknown).Type, Is.EqualTo("updateSomethingNew"));
        Assert.That(((Td.UnknownObject)unknown).RawJson, Is.EqualTo(newer));
        Assert.That(unknown.ClientId, Is.EqualTo(4));
        Assert.That(unknownInside, Is.InstanceOf<Td.UnknownObject>().With.Property(nameof(Td.UnknownObject.Type)).EqualTo("authorizationStateWaitTelepathy"));
        Assert.That(unknownInside.ClientId, Is.EqualTo(5));
    }

    [Test]
    public void Bytes_are_base64_and_vectors_nest()
    {
        var request = new Td.TestCallVectorStringObject { X = [new Td.TestString { Value = "a" }] };
        var bytes = new Td.TestCallBytes { X = [0, 1, 2, 255] };

        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(request.ToJson()), JsonNode.Parse("""{"@type":"testCallVectorStringObject","x":[{"@type":"testString","value":"a"}]}""")), Is.True, request.ToJson());
        Assert.That(JsonNode.Parse(bytes.ToJson())!["x"]!.GetValue<string>(), Is.EqualTo("AAEC/w=="));
        Assert.That(Td.TdJsonReader.Parse<Td.TestCallBytes>(bytes.ToJson()).X, Is.EqualTo(new byte[] { 0, 1, 2, 255 }));
    }

    private static void AssertRoundTrip(string json)
    {
        var parsed = Td.TdJsonReader.Parse(Encoding.UTF8.GetBytes(json));
        var written = parsed.ToJson();

        Assert.That(parsed, Is.Not.InstanceOf<Td.UnknownObject>());
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(written)), Is.True, () => "Round trip differs:\n" + json + "\n---\n" + written);
    }
}
