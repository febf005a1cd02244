using MassTransit;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace TgFleet.Tests.Worker.Contracts;

[TestFixture, Category("Worker")]
public sealed class When_the_AsyncApi_document_is_read
{
    [Test]
    public async Task It_matches_the_contract_types()
    {
        var generated = AsyncApiDocument.Generate();
        if (Environment.GetEnvironmentVariable("TGFLEET_UPDATE_DOCS") == "1")
        {
            await File.WriteAllTextAsync(AsyncApiDocument.FilePath, generated);
        }

        var committed = File.Exists(AsyncApiDocument.FilePath) ? await File.ReadAllTextAsync(AsyncApiDocument.FilePath) : "(missing)";
        Assert.That(committed, Is.EqualTo(generated),
            "docs/asyncapi.yaml is out of date with src/Contracts: regenerate it with TGFLEET_UPDATE_DOCS=1 ./build.sh test --filter FullyQualifiedName~AsyncApi");
    }

    [Test]
    public void Every_message_is_documented_with_MassTransits_urn()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(AsyncApiDocument.FilePath)));
        var messages = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["components"])["messages"];

        foreach (var type in AsyncApiDocument.Messages)
        {
            var message = (YamlMappingNode)messages[type.Name];
            Assert.That(((YamlScalarNode)message["x-urn"]).Value, Is.EqualTo(MessageUrn.ForTypeString(type)), type.Name);
            Assert.That(((YamlScalarNode)message["summary"]).Value, Is.Not.Empty, $"{type.Name} has a doc comment");
        }
    }

    [Test]
    public void Every_command_names_its_account_so_it_can_be_routed_to_a_shard()
    {
        var commands = AsyncApiDocument.Messages.Where(AsyncApiDocument.IsCommand).ToList();

        Assert.That(commands.Select(c => c.Name), Does.Contain("SendMessage").And.Contain("Authenticate").And.Contain("GetMe"));
        foreach (var command in commands)
        {
            var instance = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(command);
            command.GetProperty("AccountId")!.SetValue(instance, "acct");
            Assert.That(TgFleet.Contracts.Addressing.ShardSending.AccountIdOf(instance), Is.EqualTo("acct"), command.Name);
        }
    }

    [Test]
    public void Parts_of_messages_are_schemas_and_never_exchanges_or_messages()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(AsyncApiDocument.FilePath)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var channels = ((YamlMappingNode)root["channels"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        var components = (YamlMappingNode)root["components"];
        var messages = ((YamlMappingNode)components["messages"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        var schemas = ((YamlMappingNode)components["schemas"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();

        foreach (var part in new[] { "Recipient", "TextEntity", "ProxySettings", "ChatSummary" })
        {
            Assert.That(channels.Where(c => c.EndsWith(":" + part, StringComparison.Ordinal)), Is.Empty, part);
            Assert.That((messages.Contains(part), schemas.Contains(part)), Is.EqualTo((false, true)), part);
        }

        Assert.That(channels, Does.Contain("TgFleet.Contracts.Messaging:MessageSent").And.Contain("TgFleet.Contracts.Accounts:CommandRejected"));
    }
}
