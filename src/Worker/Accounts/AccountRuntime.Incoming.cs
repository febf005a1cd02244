using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Worker.Messaging;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Accounts;

/// <summary>Incoming messages (published, opt-outs recorded) and the connection's state.</summary>
public sealed partial class AccountRuntime
{
    private static readonly TimeSpan ConnectingGrace = TimeSpan.FromSeconds(3);
    private bool _connectionReady;

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
        var ready = state is Td.ConnectionStateReady;
        Volatile.Write(ref _connectionReady, ready);
        if (State != Contracts.Accounts.AuthenticationState.Ready || _stopping)
        {
            return;
        }

        if (ready)
        {
            if (_status == AccountStatus.Connecting)
            {
                await ReadyStatusAsync();
            }

            return;
        }

        if (state is Td.ConnectionStateConnecting or Td.ConnectionStateConnectingToProxy or Td.ConnectionStateWaitingForNetwork)
        {
            // TDLib passes through Connecting/Updating briefly after every start and resume: only a
            // connection still down after a grace period is reported.
            var reason = state is Td.ConnectionStateConnectingToProxy ? "PROXY_UNREACHABLE" : "NETWORK";
            var check = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(ConnectingGrace, _services.Time, _lifetime.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (!Volatile.Read(ref _connectionReady) && !_stopping && _status is AccountStatus.Online)
                {
                    await SetStatusAsync(AccountStatus.Connecting, reason);
                }
            }, CancellationToken.None);
            lock (_gate)
            {
                // Tracked, so that stopping waits for it before the status gate is disposed.
                _connectingChecks = _connectingChecks.IsCompleted ? check : Task.WhenAll(_connectingChecks, check);
            }
        }
    }
}
