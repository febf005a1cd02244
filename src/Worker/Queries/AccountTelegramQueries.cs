using TgFleet.Tdlib;
using TgFleet.Tdlib.Api;
using TgFleet.Worker.Accounts;
using PhoneNumber = TgFleet.Contracts.Accounts.PhoneNumber;
using ChatSummary = TgFleet.Contracts.Queries.ChatSummary;
using TelegramUser = TgFleet.Contracts.Queries.TelegramUser;

namespace TgFleet.Worker.Queries;

/// <summary>
/// Read-only questions to Telegram about one account: who it is, its chats, its contacts. Each
/// TDLib call waits at most <see cref="TelegramOptions.LoginStepTimeout"/>; a TDLib error throws
/// <see cref="TdException"/> (<see cref="TelegramReasons.OfQuery"/> names it), no answer
/// <see cref="TimeoutException"/>. Phones leave only masked.
/// </summary>
public sealed class AccountTelegramQueries
{
    /// <summary>loadChats rounds at most per <see cref="GetChatsAsync"/> (each asks for what is still missing).</summary>
    private const int MaxChatLoadRounds = 20;

    private readonly IAccountClient _account;
    private readonly TimeSpan _timeout;

    internal AccountTelegramQueries(IAccountClient account, TimeSpan timeout)
    {
        _account = account;
        _timeout = timeout;
    }

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

    private Task<T> QueryAsync<T>(TdFunction<T> function, CancellationToken cancellationToken)
        where T : TdObject
    {
        var client = _account.Client ?? throw new InvalidOperationException("The account's client is not started.");
        return client.SendAsync(function, _timeout, cancellationToken);
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
