using System.Text;
using NUnit.Framework;
using RabbitMQ.Client;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Simulator;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker.Fleet;

/// <summary>Envelopes published with a plain AMQP client, as a Python or Go publisher would, never through MassTransit's serializer.</summary>
[TestFixture, Category("Fleet")]
public sealed class When_a_raw_envelope_arrives
{
    private FleetBed _fleet = null!;
    private FleetAccount _account = null!;
    private string _to = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _fleet = await FleetBed.StartAsync();
        await _fleet.StartWorkersAsync("w1");
        _account = await _fleet.LogInAsync(2);
        _to = (await _fleet.Sim.SeedUserAsync(new UserSeed(Simulator.SimulatorHarness.NewPhone(), "Pia", Username: "p" + Guid.NewGuid().ToString("N")[..12]))).Username!;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _fleet.DisposeAsync();

    [Test]
    public async Task A_truncated_body_is_answered_MESSAGE_MALFORMED_with_its_messageId()
    {
        var messageId = Guid.NewGuid();
        var body = Envelope(messageId, $$"""{"commandId": "{{Guid.NewGuid()}}", "accountId": "{{_account.Id}}", "to": {"kind": 1, "value": "{{_to}}"}, "text": "cut""");
        await PublishAsync(messageId, body[..^20]);

        var rejected = await RejectionAsync(messageId);

        Assert.That((rejected.Reason, rejected.Field), Is.EqualTo(("MESSAGE_MALFORMED", "Message")));
        Assert.That(rejected.Detail, Is.Not.Empty);
    }

    [Test]
    public async Task A_field_of_the_wrong_JSON_type_is_answered_with_the_CommandId_and_the_parsers_complaint()
    {
        var messageId = Guid.NewGuid();
        var commandId = Guid.NewGuid();
        await PublishAsync(messageId, Envelope(messageId, $$"""{"commandId": "{{commandId}}", "accountId": "{{_account.Id}}", "to": {"kind": 1, "value": "{{_to}}"}, "text": 42}"""));

        var rejected = await RejectionAsync(messageId);

        Assert.That((rejected.Reason, rejected.CommandId, rejected.AccountId, rejected.Command), Is.EqualTo(("MESSAGE_MALFORMED", commandId, _account.Id, "SendMessage")));
        Assert.That(rejected.Detail, Does.Contain("text").IgnoreCase, "the parser names the field");
    }

    [Test]
    public async Task An_enum_given_by_name_is_understood_and_the_message_is_sent()
    {
        var messageId = Guid.NewGuid();
        var commandId = Guid.NewGuid();
        await PublishAsync(messageId, Envelope(messageId, $$"""{"commandId": "{{commandId}}", "accountId": "{{_account.Id}}", "to": {"kind": "Username", "value": "{{_to}}"}, "text": "by name"}"""));

        await Wait.UntilAsync(() => _fleet.Events.Since<MessageSent>(0).Any(e => e.Message.CommandId == commandId), FleetBed.Deadline, _fleet.Describe);

        Assert.That((await _fleet.Sim.ReceivedAsync("@" + _to)).Count(m => m.Text == "by name"), Is.EqualTo(1));
    }

    private static string Envelope(Guid messageId, string message) => $$"""
        {"messageId": "{{messageId}}", "messageType": ["urn:message:TgFleet.Contracts.Messaging:SendMessage"], "message": {{message}}}
        """;

    private async Task PublishAsync(Guid messageId, string body)
    {
        var factory = new ConnectionFactory { Uri = _fleet.VirtualHost.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = messageId.ToString(), Persistent = true };
        await channel.BasicPublishAsync(ShardAddressing.QueueNameOf(_account.Id, FleetBed.Shards), string.Empty, mandatory: false, properties, Encoding.UTF8.GetBytes(body));
    }

    private async Task<CommandRejected> RejectionAsync(Guid messageId)
    {
        await Wait.UntilAsync(() => _fleet.Events.Since<CommandRejected>(0).Any(e => e.Message.MessageId == messageId), FleetBed.Deadline, _fleet.Describe);
        return _fleet.Events.Since<CommandRejected>(0).First(e => e.Message.MessageId == messageId).Message;
    }
}
