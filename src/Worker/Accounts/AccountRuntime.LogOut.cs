using TgFleet.Contracts.Accounts;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Accounts;

/// <summary>Logging an account out of Telegram.</summary>
public sealed partial class AccountRuntime
{
    /// <summary>Whether the account's TDLib client has closed (logged out, banned, stopped): a new login needs a new runtime.</summary>
    public bool IsClosed => _client?.Closed.IsCompleted ?? true;

    /// <summary>
    /// Logs the account out of Telegram (<c>logOut</c>: the session is ended at Telegram and TDLib
    /// deletes its local database) and waits until the client has closed. The update loop reports
    /// <c>LoggedOut</c> for <paramref name="commandId"/>.
    /// </summary>
    public async Task LogOutAsync(Guid commandId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _commandId = commandId;
        }

        if (_client is not { } client || client.Closed.IsCompleted)
        {
            return;
        }

        try
        {
            await client.SendAsync(new Td.LogOut(), _services.Options.LoginStepTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TdException or TimeoutException)
        {
            // Telegram may not answer (offline) or the client may be closing already: close it locally.
            Log.LogOutFailed(_logger, AccountId, e.Message);
        }

        await client.CloseAsync(cancellationToken);
        if (_status is not AccountStatus.LoggedOut and not AccountStatus.Banned)
        {
            await SetStatusAsync(AccountStatus.LoggedOut, "LOGGED_OUT", commandId: commandId);
        }
    }
}
