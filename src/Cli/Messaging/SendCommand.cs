using System.CommandLine;
using System.Globalization;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Cli.Messaging;

/// <summary><c>tgfleet send &lt;account&gt; &lt;recipient&gt; &lt;text&gt;</c>: one SendMessage and its outcome.</summary>
public static class SendCommand
{
    public static Command Create(GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(global);
        var account = new Argument<string>("account") { Description = "The sending account's id" };
        var recipient = new Argument<string>("recipient") { Description = "@username, +phone, a user id, or chat:ID for a chat id" };
        var text = new Argument<string>("text") { Description = "The message" };
        var format = new Option<TextFormat>("--format") { Description = "Plain, Markdown (MarkdownV2) or Html" };
        var silent = new Option<bool>("--silent") { Description = "Without a notification sound" };
        var command = new Command("send", "Send one message and print its outcome (MessageSent or MessageFailed)") { account, recipient, text, format, silent };
        command.SetAction(global.Run(async (context, cancellationToken) =>
        {
            var to = ParseRecipient(context.Get(recipient));
            await using var bus = await context.ConnectBusAsync(cancellationToken,
                EventSubscription.Of<MessageSent>(), EventSubscription.Of<MessageFailed>(), EventSubscription.Of<CommandRejected>());
            var send = new SendMessage(CliContext.NewCommandId(), context.Get(account), to, context.Get(text))
            {
                Format = context.Get(format),
                Silent = context.Get(silent),
            };
            await bus.SendAsync(send, cancellationToken);
            var outcome = await bus.NextEventAsync(e => e switch
            {
                MessageSent m => m.CommandId == send.CommandId,
                MessageFailed m => m.CommandId == send.CommandId,
                CommandRejected m => m.CommandId == send.CommandId,
                _ => false,
            }, "SendMessage", cancellationToken);
            var output = context.Output;
            switch (outcome)
            {
                case CommandRejected rejected:
                    throw CliException.Rejected(rejected);
                case MessageSent sent:
                    if (output.Json)
                    {
                        output.WriteJson(new { outcome = "sent", sent.CommandId, sent.AccountId, sent.ChatId, sent.MessageId, sent.SentAt });
                    }
                    else
                    {
                        output.Line($"sent: chat {sent.ChatId}, message {sent.MessageId} (command {send.CommandId})");
                    }

                    return ExitCodes.Ok;
                default:
                    var failed = (MessageFailed)outcome;
                    if (output.Json)
                    {
                        output.WriteJson(new { outcome = "failed", failed.CommandId, failed.AccountId, failed.Reason, failed.Permanent, failed.RetryAfter, failed.Detail });
                    }

                    throw new CliException(ExitCodes.Failed, $"not sent: {failed.Reason}" + (failed.Permanent ? " (permanent)" : string.Empty)
                        + (failed.RetryAfter is { } after ? $", retry after {after.ToString("u", CultureInfo.InvariantCulture)}" : string.Empty));
            }
        }));
        return command;
    }

    /// <summary><c>@name</c> → username, <c>+digits</c> → phone, <c>chat:ID</c> → chat id, a number → user id.</summary>
    public static Recipient ParseRecipient(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim();
        if (value.StartsWith('@') && value.Length > 1)
        {
            return Recipient.Username(value[1..]);
        }

        if (value.StartsWith('+'))
        {
            return Recipient.Phone(value);
        }

        if (value.StartsWith("chat:", StringComparison.OrdinalIgnoreCase)
            && long.TryParse(value.AsSpan(5), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chat))
        {
            return Recipient.Chat(chat);
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var user))
        {
            return Recipient.User(user);
        }

        throw new CliException(ExitCodes.Usage, $"recipient '{text}' is not @username, +phone, a user id or chat:ID");
    }
}
