using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Accounts;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Messaging;

/// <summary>
/// One account's incoming messages: each is published as <see cref="IncomingMessageReceived"/>, and
/// a sender's opt-out (<see cref="OptOutStore.IsOptOut"/>) is recorded first. A message that cannot
/// be published is logged (never its text).
/// </summary>
internal sealed partial class IncomingMessages(string accountId, OptOutStore optOuts, IAccountEvents events, WorkerMetrics metrics, ILogger logger)
{
    /// <summary>The update loop's <c>updateNewMessage</c> for a message the account received.</summary>
    public async Task OnReceivedAsync(Td.Message message)
    {
        var sender = message.SenderId is Td.MessageSenderUser user ? user.UserId : 0;
        var text = message.Content is Td.MessageText { Text: { } content } ? content.Text : string.Empty;
        try
        {
            if (sender != 0 && OptOutStore.IsOptOut(text))
            {
                await optOuts.AddAsync(sender, accountId, "STOP", CancellationToken.None);
            }

            var received = new IncomingMessageReceived(accountId, message.ChatId, message.Id, sender, text, DateTimeOffset.FromUnixTimeSeconds(message.Date));
            await events.PublishAsync(received, CancellationToken.None);
            metrics.Received();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.IncomingFailed(logger, accountId, message.ChatId, message.Id, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.IncomingFailed, Level = LogLevel.Error, Message = "Account {AccountId}: incoming message {MessageId} in chat {ChatId} could not be published")]
        internal static partial void IncomingFailed(ILogger logger, string accountId, long chatId, long messageId, Exception error);
    }
}
