using System.Text.Json;
using NUnit.Framework;
using TgFleet.Tdlib;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_libtdjson_is_loaded
{
    [Test]
    public void Its_version_option_is_the_schema_version()
    {
        var answer = TdJsonExecutor.Execute("""{"@type":"getOption","name":"version"}""");

        using var json = JsonDocument.Parse(answer);
        Assert.That(json.RootElement.GetProperty("@type").GetString(), Is.EqualTo("optionValueString"));
        Assert.That(json.RootElement.GetProperty("value").GetString(), Is.EqualTo("1.8.65"));
    }
}
