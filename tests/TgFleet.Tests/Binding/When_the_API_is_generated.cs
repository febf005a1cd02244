using System.Xml.Linq;
using NUnit.Framework;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_the_API_is_generated
{
    private static string? Summary(XDocument docs, string member) =>
        docs.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == member)?.Element("summary")?.Value;

    [Test]
    public void The_schema_comments_become_XML_docs()
    {
        var docs = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "TgFleet.Tdlib.Api.xml"));

        Assert.That(Summary(docs, "T:TgFleet.Tdlib.Api.GetOption"), Does.StartWith("Returns the value of an option by its name"));
        Assert.That(Summary(docs, "P:TgFleet.Tdlib.Api.Error.Code"), Does.StartWith("Error code; subject to future changes"));
        Assert.That(Summary(docs, "T:TgFleet.Tdlib.Api.AuthorizationState"), Is.EqualTo("Represents the current authorization state of the TDLib client"));
        Assert.That(Summary(docs, "P:TgFleet.Tdlib.Api.EmailAddressAuthenticationCode.Code"), Is.EqualTo("The code"), "a tag inline after @description");
    }

    [Test]
    public void Functions_return_their_declared_types_and_types_map_as_TDLib_says()
    {
        Assert.That(typeof(Td.GetOption).BaseType, Is.EqualTo(typeof(Td.TdFunction<Td.OptionValue>)));
        Assert.That(typeof(Td.SetTdlibParameters).BaseType, Is.EqualTo(typeof(Td.TdFunction<Td.Ok>)));
        Assert.That(typeof(Td.AuthorizationState).IsAbstract, Is.True);
        Assert.That(typeof(Td.AuthorizationStateClosed).BaseType, Is.EqualTo(typeof(Td.AuthorizationState)));
        Assert.That(typeof(Td.Message).GetProperty(nameof(Td.Message.MediaAlbumId))!.PropertyType, Is.EqualTo(typeof(long)), "int64");
        Assert.That(typeof(Td.Message).GetProperty(nameof(Td.Message.UnreadReactions))!.PropertyType, Is.EqualTo(typeof(Td.UnreadReaction[])), "vector<unreadReaction>");
        Assert.That(typeof(Td.Text).GetProperty("TextValue")!.PropertyType, Is.EqualTo(typeof(string)), "a field named like its class");
    }
}
