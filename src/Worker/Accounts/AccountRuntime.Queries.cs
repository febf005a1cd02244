using TgFleet.Contracts.Accounts;
using TgFleet.Tdlib;
using TgFleet.Tdlib.Api;
using ChatSummary = TgFleet.Contracts.Queries.ChatSummary;
using TelegramUser = TgFleet.Contracts.Queries.TelegramUser;

namespace TgFleet.Worker.Accounts;

/// <summary>
/// Read-only questions to Telegram about the account: who it is, its chats, its contacts. Each
/// TDLib call waits at most <see cref="TelegramOptions.LoginStepTimeout"/>; a TDLib error throws
/// <see cref="TdException"/> (<see cref="QueryReason"/> names it), no answer
/// <see cref="TimeoutException"/>. Phones leave only masked.
/// </summary>
public sealed partial class AccountRuntime
{
    /// <summary>loadChats rounds at most per <see cref="GetChatsAsync"/> (each asks for what is still missing).</summary>
    private const int MaxChatLoadRounds = 20;

    /// <summary>The account's own user (<c>getMe</c>).</summary>
    public async Task<TelegramUser> GetMeAsync(CancellationToken cancellationToken) =>
        ToTelegramUser(await QueryAsync(new GetMe(), cancellationToken));

    /// <summary>
    /// Up to <paramref name="limit"/> chats of the main list, in its order (most recent first):
    /// <c>loadChats</c> until TDLib has at least <paramref name="limit"/> or answers 404 (all
    /// loaded), then <c>getChats</c> and <c>getChat</c> per id.
    /// </summary>
    public async Task<IReadOnlyList<ChatSummary>> GetChatsAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var main = new ChatListMain();
        Chats known;
        for (var round = 1; ; round++)
        {
            known = await QueryAsync(new GetChats { ChatList = main, Limit = limit }, cancellationToken);
            if (known.ChatIds.Length >= limit || round > MaxChatLoadRounds)
            {
                break;
            }

            try
            {
                await QueryAsync(new LoadChats { ChatList = main, Limit = limit - known.ChatIds.Length }, cancellationToken);
            }
            catch (TdException e) when (e.Code == 404)
            {
                // Every chat of the list is loaded: what getChats gave is all there is.
                break;
            }
        }

        var chats = new List<ChatSummary>(known.ChatIds.Length);
        foreach (var id in known.ChatIds.Take(limit))
        {
            var chat = await QueryAsync(new GetChat { ChatId = id }, cancellationToken);
            chats.Add(new ChatSummary(chat.Id, chat.Title, ChatKind(chat.Type)) { UnreadCount = chat.UnreadCount });
        }

        return chats;
    }

    /// <summary>Up to <paramref name="limit"/> contacts whose names or usernames match <paramref name="query"/> (empty: all): <c>searchContacts</c>, then <c>getUser</c> per id.</summary>
    public async Task<IReadOnlyList<TelegramUser>> SearchContactsAsync(string query, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var found = await QueryAsync(new SearchContacts { Query = query ?? string.Empty, Limit = limit }, cancellationToken);
        var users = new List<TelegramUser>(found.UserIds.Length);
        foreach (var id in found.UserIds.Take(limit))
        {
            users.Add(ToTelegramUser(await QueryAsync(new GetUser { UserId = id }, cancellationToken)));
        }

        return users;
    }

    /// <summary>
    /// A machine-readable reason for a TDLib error answering a query: an UPPER_SNAKE message as is
    /// (<c>AUTH_KEY_DUPLICATED</c>, <c>USER_DEACTIVATED_BAN</c>), 429 → <c>FLOOD_WAIT_N</c>,
    /// anything else <c>TDLIB_ERROR_&lt;code&gt;</c> (the text goes to the rejection's detail).
    /// </summary>
    internal static string QueryReason(TdException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Code == 429)
        {
            var seconds = RetryAfter().Match(error.TdlibMessage);
            return seconds.Success ? "FLOOD_WAIT_" + seconds.Groups[1].Value : "FLOOD_WAIT";
        }

        return MachineReadable().IsMatch(error.TdlibMessage) ? error.TdlibMessage : "TDLIB_ERROR_" + error.Code;
    }

    private Task<T> QueryAsync<T>(TdFunction<T> function, CancellationToken cancellationToken)
        where T : TdObject
    {
        var client = _client ?? throw new InvalidOperationException("The account's client is not started.");
        return client.SendAsync(function, _services.Options.LoginStepTimeout, cancellationToken);
    }

    private static TelegramUser ToTelegramUser(User user) => new(user.Id, user.FirstName, user.LastName)
    {
        Username = user.Usernames?.ActiveUsernames.FirstOrDefault() is { Length: > 0 } username ? username : null,
        PhoneMasked = string.IsNullOrEmpty(user.PhoneNumber) ? null : PhoneNumber.Mask(user.PhoneNumber),
    };

    private static string ChatKind(ChatType? type) => type switch
    {
        ChatTypePrivate => "private",
        ChatTypeBasicGroup => "basicGroup",
        ChatTypeSupergroup { IsChannel: true } => "channel",
        ChatTypeSupergroup => "supergroup",
        ChatTypeSecret => "secret",
        _ => "unknown",
    };
}
