using System.Text.Json;
using NUnit.Framework;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

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

    [Test]
    public void The_manager_checked_it_against_the_generated_types()
    {
        Assert.That(Td.TdApi.SchemaVersion, Is.EqualTo("1.8.65"));
        Assert.That(BindingRun.Manager.LibraryVersion, Is.EqualTo(Td.TdApi.SchemaVersion));
    }

    [Test]
    public void Every_schema_type_has_a_generated_class()
    {
        var generated = typeof(Td.TdObject).Assembly.GetTypes()
            .Count(type => type is { IsSealed: true, Namespace: "TgFleet.Tdlib.Api" } && typeof(Td.TdObject).IsAssignableFrom(type) && type != typeof(Td.UnknownObject));

        Assert.That(generated, Is.EqualTo(Td.TdApi.TypeCount).And.GreaterThan(3000));
    }
}
