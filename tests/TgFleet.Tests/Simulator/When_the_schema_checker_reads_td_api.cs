using System.Text.Json.Nodes;
using NUnit.Framework;

namespace TgFleet.Tests.Simulator;

[TestFixture, Category("Simulator")]
public sealed class When_the_schema_checker_reads_td_api
{
    [Test]
    public void It_knows_the_fields_and_which_may_be_null()
    {
        var fields = TlSchema.Instance.FieldsOf("user");

        Assert.That(fields.Select(f => f.Name), Does.Contain("first_name").And.Contain("usernames"));
        Assert.That(fields.Single(f => f.Name == "usernames").MayBeNull, Is.True);
        Assert.That(fields.Single(f => f.Name == "first_name").MayBeNull, Is.False);
        Assert.That(TlSchema.Instance.IsFunction("sendMessage"), Is.True);
    }

    [Test]
    public void It_reports_a_missing_field_a_wrong_int64_and_an_unknown_type()
    {
        var bad = JsonNode.Parse("""{"@type":"updateOption","name":"x","value":{"@type":"optionValueInteger","value":5}}""");
        var missing = JsonNode.Parse("""{"@type":"error","code":400}""");
        var unknown = JsonNode.Parse("""{"@type":"notAThing"}""");

        Assert.That(TlSchema.Instance.Violations(bad), Has.Some.Contains("int64 must be a JSON string"));
        Assert.That(TlSchema.Instance.Violations(missing), Has.Some.Contains("missing field message"));
        Assert.That(TlSchema.Instance.Violations(unknown), Has.Some.Contains("unknown object type"));
    }
}
