using Dapper;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Commands;

namespace TgFleet.Tests.Worker.Messaging;

[TestFixture, Category("Worker")]
public sealed class When_a_message_is_sent
{
    private SendingBed _bed = null!;
    private string _account = null!;
    private string _phone = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _bed = await SendingBed.StartAsync();
        (_account, _phone) = await _bed.LogInAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _bed.DisposeAsync();

    [Test]
    public async Task Every_kind_of_recipient_receives_it_once()
    {
        var byUsername = await _bed.NewRecipientAsync();
        var byPhone = await _bed.NewRecipientAsync();

        var first = (MessageSent)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), _account, Recipient.Username("@" + byUsername.Username), "by username"));
        var second = (MessageSent)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), _account, Recipient.Phone(byPhone.Phone), "by phone"));
        // The account has seen both users now, so their ids and the chat id resolve too.
        var third = (MessageSent)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), _account, Recipient.User(byPhone.UserId), "by user id"));
        var fourth = (MessageSent)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), _account, Recipient.Chat(first.ChatId), "by chat id"));

        Assert.That(Texts(await _bed.Sim.ReceivedAsync("@" + byUsername.Username)), Is.EqualTo(string.Join("|", "by username", "by chat id")));
        Assert.That(Texts(await _bed.Sim.ReceivedAsync("@" + byPhone.Username)), Is.EqualTo(string.Join("|", "by phone", "by user id")));
        Assert.That(new[] { first.MessageId, second.MessageId, third.MessageId, fourth.MessageId }, Is.Unique.And.All.Positive);
        Assert.That(third.ChatId, Is.EqualTo(second.ChatId));
    }

    [Test]
    public async Task A_redelivered_command_is_answered_again_without_a_second_send()
    {
        var to = await _bed.NewRecipientAsync();
        var command = new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), "only once");

        var first = (MessageSent)await _bed.SendAsync(command);
        var again = (MessageSent)await _bed.SendAsync(command, occurrence: 2);

        Assert.That(again, Is.EqualTo(first), "the recorded outcome is published again");
        Assert.That(Texts(await _bed.Sim.ReceivedAsync("@" + to.Username)), Is.EqualTo(string.Join("|", "only once")));
        Assert.That((await _bed.Sim.SummaryAsync()).Duplicates, Is.Zero);
    }

    [Test]
    public async Task A_command_a_crash_left_mid_send_is_reported_unknown_and_not_sent()
    {
        var to = await _bed.NewRecipientAsync();
        var command = new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), "maybe sent");
        var journal = _bed.Services.GetRequiredService<CommandJournal>();
        await journal.BeginAsync(command.CommandId, _account, nameof(SendMessage), null);
        await journal.MoveAsync(command.CommandId, CommandState.Accepted, CommandState.Sending, null, default);

        var failed = (MessageFailed)await _bed.SendAsync(command);

        Assert.That((failed.Reason, failed.Permanent), Is.EqualTo(("OUTCOME_UNKNOWN", true)));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + to.Username), Is.Empty);
        await using var conn = await _bed.Bed.Db.OpenConnectionAsync();
        Assert.That(await conn.ExecuteScalarAsync<string>("SELECT state FROM command_journal WHERE command_id = @Id", new { Id = command.CommandId }), Is.EqualTo("unknown"));
    }

    [Test]
    public async Task A_command_id_another_command_already_used_is_refused_and_nothing_is_sent()
    {
        var to = await _bed.NewRecipientAsync();
        var command = new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), "same id as a log-out");
        var journal = _bed.Services.GetRequiredService<CommandJournal>();
        await journal.BeginAsync(command.CommandId, _account, "LogOut", null);
        await journal.MoveAsync(command.CommandId, CommandState.Accepted, CommandState.Succeeded, null, default);

        var refused = (CommandRejected)await _bed.SendAsync(command);

        Assert.That((refused.Field, refused.Reason), Is.EqualTo(("CommandId", "COMMAND_ID_REUSED")));
        Assert.That(await _bed.Sim.ReceivedAsync("@" + to.Username), Is.Empty);
    }

    [Test]
    public async Task A_row_an_earlier_version_left_accepted_is_sent_once()
    {
        var to = await _bed.NewRecipientAsync();
        var command = new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), "left accepted");
        await _bed.Services.GetRequiredService<CommandJournal>().BeginAsync(command.CommandId, _account, nameof(SendMessage), null);

        var sent = (MessageSent)await _bed.SendAsync(command);
        var again = (MessageSent)await _bed.SendAsync(command, occurrence: 2);

        Assert.That(again, Is.EqualTo(sent));
        Assert.That(Texts(await _bed.Sim.ReceivedAsync("@" + to.Username)), Is.EqualTo("left accepted"));
    }

    [Test]
    public async Task Markdown_is_parsed_by_TDLib_and_entities_are_kept()
    {
        var to = await _bed.NewRecipientAsync();

        await _bed.SendAsync(new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), "*bold* and _italic_") { Format = TextFormat.Markdown });
        await _bed.SendAsync(new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), "<b>html</b> text") { Format = TextFormat.Html });
        var broken = (MessageFailed)await _bed.SendAsync(new SendMessage(Guid.NewGuid(), _account, Recipient.Username(to.Username), "*unclosed") { Format = TextFormat.Markdown });

        Assert.That(Texts(await _bed.Sim.ReceivedAsync("@" + to.Username)), Is.EqualTo(string.Join("|", "bold and italic", "html text")));
        Assert.That((broken.Reason, broken.Permanent), Is.EqualTo(("TEXT_INVALID", true)));
        Assert.That(broken.Detail, Does.Contain("markup"));
    }

    [Test]
    public async Task A_message_from_outside_is_published_with_its_sender_and_text()
    {
        var from = await _bed.NewRecipientAsync();
        await _bed.Sim.InjectAsync("@" + from.Username, _phone, "hello there");
        await TgFleet.Testing.Wait.UntilAsync(() => _bed.Published<IncomingMessageReceived>(m => m.AccountId == _account && m.Text == "hello there").Any(), TimeSpan.FromSeconds(20));

        var incoming = _bed.Published<IncomingMessageReceived>(m => m.AccountId == _account && m.Text == "hello there").Single();
        Assert.That(incoming.SenderUserId, Is.EqualTo(from.UserId));
        Assert.That(incoming.ChatId, Is.Not.Zero);
    }

    private static string Texts(IEnumerable<TgFleet.Simulator.ReceivedMessage> received) => string.Join("|", received.Select(m => m.Text));
}
