using TgFleet.Tdlib;
using AuthState = TgFleet.Contracts.Accounts.AuthenticationState;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// One account's TDLib client as the account's capabilities (login, sending, proxies, queries) see
/// it: <see cref="AccountRuntime"/> owns the client and its update loop; they only use it.
/// </summary>
public interface IAccountClient
{
    /// <summary>The upstream-chosen account key.</summary>
    string AccountId { get; }

    /// <summary>The client, once started (null before).</summary>
    TdClient? Client { get; }

    /// <summary>The last login state reported (null before the first).</summary>
    AuthState? State { get; }

    /// <summary>
    /// While the account's stored session is still being restored (its shard has just come to this
    /// worker), waits until it is ready, at most <paramref name="wait"/>; returns at once otherwise.
    /// Never throws for the wait running out: <see cref="State"/> then tells.
    /// </summary>
    Task WaitUntilRestoredAsync(TimeSpan wait, CancellationToken cancellationToken);
}
