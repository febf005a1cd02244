using TgFleet.Contracts.Accounts;

namespace TgFleet.Storage.Accounts;

/// <summary>
/// The values of <c>accounts.status</c> (0001_accounts.sql, 0005_account_status.sql): the one place
/// that spells them. While an account logs in its row says how far the login got; once logged in it
/// holds the account's operational <see cref="AccountStatus"/>. Workers write these, the worker's
/// queries and the campaign scheduler read them; the spelling is the database's, so it never changes.
/// </summary>
public sealed class AccountRowStatus
{
    /// <summary>Known to the fleet, never logged in (the column's default).</summary>
    public static readonly AccountRowStatus New = new("new", null);

    /// <summary>A login has started (Authenticate).</summary>
    public static readonly AccountRowStatus Authenticating = new("authenticating", null);

    /// <summary>The login waits for the code.</summary>
    public static readonly AccountRowStatus AwaitingCode = new("awaiting_code", null);

    /// <summary>The login waits for the two-step verification password.</summary>
    public static readonly AccountRowStatus AwaitingPassword = new("awaiting_password", null);

    /// <summary>The login failed; a new one is needed.</summary>
    public static readonly AccountRowStatus Failed = new("failed", null);

    /// <inheritdoc cref="AccountStatus.Online"/>
    public static readonly AccountRowStatus Online = new("online", AccountStatus.Online);

    /// <inheritdoc cref="AccountStatus.Connecting"/>
    public static readonly AccountRowStatus Connecting = new("connecting", AccountStatus.Connecting);

    /// <inheritdoc cref="AccountStatus.FloodWait"/>
    public static readonly AccountRowStatus FloodWait = new("flood_wait", AccountStatus.FloodWait);

    /// <inheritdoc cref="AccountStatus.Limited"/>
    public static readonly AccountRowStatus Limited = new("limited", AccountStatus.Limited);

    /// <inheritdoc cref="AccountStatus.LoggedOut"/>
    public static readonly AccountRowStatus LoggedOut = new("logged_out", AccountStatus.LoggedOut);

    /// <inheritdoc cref="AccountStatus.Banned"/>
    public static readonly AccountRowStatus Banned = new("banned", AccountStatus.Banned);

    private readonly AccountStatus? _operational;

    private AccountRowStatus(string name, AccountStatus? operational)
    {
        Name = name;
        _operational = operational;
    }

    /// <summary>Every value the column takes.</summary>
    public static IReadOnlyList<AccountRowStatus> All { get; } =
        [New, Authenticating, AwaitingCode, AwaitingPassword, Failed, Online, Connecting, FloodWait, Limited, LoggedOut, Banned];

    /// <summary>The values of accounts whose session lives (a worker runs them): a sender may use them once their limits end.</summary>
    public static IReadOnlyList<AccountRowStatus> LoggedIn { get; } = [Online, Connecting, FloodWait, Limited];

    /// <summary>The values of accounts the campaign scheduler may send from (once their FLOOD_WAIT or PEER_FLOOD ends).</summary>
    public static IReadOnlyList<AccountRowStatus> Senders { get; } = [Online, FloodWait, Limited];

    /// <summary>The spelling in <c>accounts.status</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// The contract's status of the row: the operational status as is; a row that is new, logging in
    /// or failed is <see cref="AccountStatus.LoggedOut"/> (a login is needed).
    /// </summary>
    public AccountStatus Status => _operational ?? AccountStatus.LoggedOut;

    /// <summary>Whether a login waits for its code or password.</summary>
    public bool LoginPending => this == AwaitingCode || this == AwaitingPassword;

    /// <summary>The row's value for <paramref name="status"/>.</summary>
    public static AccountRowStatus Of(AccountStatus status) =>
        All.FirstOrDefault(s => s._operational == status) ?? throw new ArgumentOutOfRangeException(nameof(status), status, "Not an account status.");

    /// <summary>The row's value for a login that reached <paramref name="state"/> (<see cref="AuthenticationState.Ready"/>: online).</summary>
    public static AccountRowStatus Of(AuthenticationState state) => state switch
    {
        AuthenticationState.AwaitingCode => AwaitingCode,
        AuthenticationState.AwaitingPassword => AwaitingPassword,
        AuthenticationState.Ready => Online,
        AuthenticationState.Failed => Failed,
        AuthenticationState.LoggedOut => LoggedOut,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not a login state."),
    };

    /// <summary>The value spelled <paramref name="name"/>, or null for none (no row, or a value this version does not know).</summary>
    public static AccountRowStatus? Parse(string? name) => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));

    /// <summary>The spellings of <paramref name="statuses"/>, as a <c>text[]</c> parameter takes them.</summary>
    public static string[] Names(IEnumerable<AccountRowStatus> statuses) => [.. statuses.Select(s => s.Name)];

    /// <summary>The spellings of <paramref name="statuses"/> as an SQL list of literals (<c>'online', 'limited'</c>), for <c>status IN (…)</c>.</summary>
    public static string SqlList(IEnumerable<AccountRowStatus> statuses) => string.Join(", ", statuses.Select(s => "'" + s.Name + "'"));

    /// <inheritdoc/>
    public override string ToString() => Name;
}
