using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Messaging;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Accounts;

/// <summary>Incoming messages (published, opt-outs recorded) and the connection's state.</summary>
public sealed partial class AccountRuntime
{
    private async Task OnIncomingAsync(Td.Message message)
    {
        var sender = message.SenderId is Td.MessageSenderUser user ? user.UserId : 0;
        var text = message.Content is Td.MessageText { Text: { } content } ? content.Text : string.Empty;
        try
        {
            if (sender != 0 && OptOutStore.IsOptOut(text))
            {
                await _services.OptOuts.AddAsync(sender, AccountId, "STOP", CancellationToken.None);
            }

            var received = new IncomingMessageReceived(AccountId, message.ChatId, message.Id, sender, text, DateTimeOffset.FromUnixTimeSeconds(message.Date));
            await _services.Events.PublishAsync(received, CancellationToken.None);
            _services.Metrics.Received();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.IncomingFailed(_logger, AccountId, message.ChatId, message.Id, e);
        }
    }

    private async Task OnConnectionStateAsync(Td.ConnectionState state)
    {
        if (State != Contracts.Accounts.AuthenticationState.Ready || _stopping)
        {
            return;
        }

        switch (state)
        {
            case Td.ConnectionStateReady when _status == AccountStatus.Connecting:
                await SetStatusAsync(AccountStatus.Online);
                break;
            case Td.ConnectionStateConnecting or Td.ConnectionStateConnectingToProxy or Td.ConnectionStateWaitingForNetwork when _status == AccountStatus.Online:
                await SetStatusAsync(AccountStatus.Connecting, state is Td.ConnectionStateConnectingToProxy ? "PROXY_UNREACHABLE" : "NETWORK");
                break;
        }
    }
}
