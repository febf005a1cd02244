using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Queries;

namespace TgFleet.Cli.Accounts;

/// <summary>Where a login's secrets come from: a person at a terminal, a pipe, or (in the demo) the simulator.</summary>
public interface ILoginSecrets
{
    /// <summary>The code Telegram sent (<paramref name="delivery"/>: how, e.g. <c>sms</c>).</summary>
    Task<string> CodeAsync(string accountId, string? delivery, bool retry, CancellationToken cancellationToken);

    /// <summary>The account's two-step verification password.</summary>
    Task<string> PasswordAsync(string accountId, string? hint, bool retry, CancellationToken cancellationToken);
}

/// <summary>
/// Drives one account's login through the fleet's commands: Authenticate, then
/// SubmitAuthenticationCode and SubmitAuthenticationPassword as the worker's
/// <see cref="AuthenticationStateChanged"/> events ask for them, until <c>Ready</c>. A wrong code or
/// password is asked again (up to <see cref="Attempts"/> times). Secrets are sent once and never
/// written anywhere.
/// </summary>
public sealed class Login(FleetBus bus)
{
    /// <summary>Wrong codes or passwords accepted before giving up.</summary>
    public const int Attempts = 3;

    /// <summary>The events a login waits on.</summary>
    public static EventSubscription[] Events { get; } =
        [EventSubscription.Of<AuthenticationStateChanged>(), EventSubscription.Of<AccountStatusChanged>(), EventSubscription.Of<CommandRejected>()];

    /// <summary>Logs <paramref name="accountId"/> in with <paramref name="phone"/>, until it is online; <paramref name="progress"/> hears each step.</summary>
    public async Task RunAsync(string accountId, string phone, ILoginSecrets secrets, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(progress);
        var authenticate = new Authenticate(CliContext.NewCommandId(), accountId, phone);
        var commands = new HashSet<Guid> { authenticate.CommandId };
        await bus.SendAsync(authenticate, cancellationToken);
        progress($"Authenticate {PhoneNumber.Mask(phone)} sent to {ShardAddressing.QueueNameOf(accountId, bus.Shards)}");
        var wrong = 0;
        var online = false;
        while (true)
        {
            var next = await bus.NextEventAsync(e => e switch
            {
                AuthenticationStateChanged s => s.AccountId == accountId,
                AccountStatusChanged s => s.AccountId == accountId,
                CommandRejected r => commands.Contains(r.CommandId),
                _ => false,
            }, $"the login of {accountId}", cancellationToken);
            if (next is CommandRejected rejected)
            {
                throw CliException.Rejected(rejected);
            }

            if (next is AccountStatusChanged status)
            {
                // The worker publishes the account's status and its login state as two events whose
                // order is not fixed: "online" may come before "ready".
                online = status.Status == AccountStatus.Online;
                continue;
            }

            var state = (AuthenticationStateChanged)next;
            switch (state.State)
            {
                case AuthenticationState.AwaitingCode:
                    progress("Telegram sent a login code" + (state.CodeDelivery is null ? string.Empty : $" ({state.CodeDelivery})"));
                    var code = await secrets.CodeAsync(accountId, state.CodeDelivery, retry: false, cancellationToken);
                    await SubmitAsync(new SubmitAuthenticationCode(CliContext.NewCommandId(), accountId, code), commands, cancellationToken);
                    break;
                case AuthenticationState.AwaitingPassword:
                    progress("the account has two-step verification");
                    var password = await secrets.PasswordAsync(accountId, state.PasswordHint, retry: false, cancellationToken);
                    await SubmitAsync(new SubmitAuthenticationPassword(CliContext.NewCommandId(), accountId, password), commands, cancellationToken);
                    break;
                case AuthenticationState.Ready:
                    progress("logged in");
                    // An account that was logged in already says "ready" again and has no status
                    // change to publish: its status is asked (an "online" on its way meanwhile waits
                    // on the bus).
                    if (!online && !await IsOnlineAsync(accountId, cancellationToken))
                    {
                        await bus.NextEventAsync(e => e is AccountStatusChanged { Status: AccountStatus.Online } s && s.AccountId == accountId,
                            $"{accountId} to be online", cancellationToken);
                    }

                    progress("online");
                    return;
                case AuthenticationState.Failed when state.Reason is "PHONE_CODE_INVALID" && ++wrong < Attempts:
                    progress("wrong code (PHONE_CODE_INVALID)");
                    var again = await secrets.CodeAsync(accountId, null, retry: true, cancellationToken);
                    await SubmitAsync(new SubmitAuthenticationCode(CliContext.NewCommandId(), accountId, again), commands, cancellationToken);
                    break;
                case AuthenticationState.Failed when state.Reason is "PASSWORD_HASH_INVALID" && ++wrong < Attempts:
                    progress("wrong password (PASSWORD_HASH_INVALID)");
                    var retry = await secrets.PasswordAsync(accountId, state.PasswordHint, retry: true, cancellationToken);
                    await SubmitAsync(new SubmitAuthenticationPassword(CliContext.NewCommandId(), accountId, retry), commands, cancellationToken);
                    break;
                default:
                    throw new CliException(ExitCodes.Failed, $"the login of {accountId} failed: {state.State} {state.Reason}".TrimEnd());
            }
        }
    }

    private async Task<bool> IsOnlineAsync(string accountId, CancellationToken cancellationToken)
    {
        var info = await bus.AskAsync<GetAccount, AccountInfo>(new GetAccount(CliContext.NewCommandId(), accountId),
            ShardSending.ShardAddress(accountId, bus.Shards), cancellationToken);
        return info.Status == AccountStatus.Online;
    }

    private async Task SubmitAsync<T>(T command, HashSet<Guid> commands, CancellationToken cancellationToken)
        where T : class
    {
        commands.Add(command switch
        {
            SubmitAuthenticationCode c => c.CommandId,
            SubmitAuthenticationPassword p => p.CommandId,
            _ => Guid.Empty,
        });
        await bus.SendAsync(command, cancellationToken);
    }
}
