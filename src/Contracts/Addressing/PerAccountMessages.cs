using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Contracts.Queries;

namespace TgFleet.Contracts.Addressing;

/// <summary>
/// THE table of the messages that go to their account's shard queue (commands and per-account
/// queries), each with how to read its idempotency key and its account. Shard sending
/// (<see cref="ShardSending"/>), the workers' ordering, consumer registration and validation, and
/// the AsyncAPI document all derive from it: a new per-account message is one line here.
/// </summary>
public static class PerAccountMessages
{
    /// <summary>Every per-account message type, in the order documents list them.</summary>
    public static IReadOnlyList<PerAccountMessage> All { get; } =
    [
        Command<Authenticate>(c => c.CommandId, c => c.AccountId),
        Command<SubmitAuthenticationCode>(c => c.CommandId, c => c.AccountId),
        Command<SubmitAuthenticationPassword>(c => c.CommandId, c => c.AccountId),
        Command<LogOut>(c => c.CommandId, c => c.AccountId),
        Command<RemoveAccount>(c => c.CommandId, c => c.AccountId),
        Command<SetAccountProxy>(c => c.CommandId, c => c.AccountId),
        Command<ClearAccountProxy>(c => c.CommandId, c => c.AccountId),
        Command<SendMessage>(c => c.CommandId, c => c.AccountId),
        Query<GetAccount, AccountInfo>(c => c.CommandId, c => c.AccountId),
        Query<GetMe, TelegramUser>(c => c.CommandId, c => c.AccountId),
        Query<GetChats, ChatList>(c => c.CommandId, c => c.AccountId),
        Query<SearchContacts, ContactList>(c => c.CommandId, c => c.AccountId),
    ];

    private static readonly Dictionary<Type, PerAccountMessage> ByType = All.ToDictionary(m => m.Type);

    /// <summary>The entry of <paramref name="type"/>, or null when it is not a per-account message.</summary>
    public static PerAccountMessage? Find(Type type) => ByType.GetValueOrDefault(type);

    private static PerAccountMessage Command<T>(Func<T, Guid> commandId, Func<T, string> accountId)
        where T : class => new(typeof(T), Response: null, m => commandId((T)m), m => accountId((T)m));

    private static PerAccountMessage Query<T, TResponse>(Func<T, Guid> commandId, Func<T, string> accountId)
        where T : class => new(typeof(T), typeof(TResponse), m => commandId((T)m), m => accountId((T)m));
}

/// <summary>One per-account message type of <see cref="PerAccountMessages"/>.</summary>
/// <param name="Type">The message type.</param>
/// <param name="Response">For a query (a read-only request), the type that answers it (a refusal is answered with <c>CommandRejected</c>); null for a command, answered by events.</param>
/// <param name="CommandIdOf">Reads the message's CommandId (the idempotency key).</param>
/// <param name="AccountIdOf">Reads the message's AccountId (may be null in a message from another language).</param>
public sealed record PerAccountMessage(Type Type, Type? Response, Func<object, Guid> CommandIdOf, Func<object, string> AccountIdOf)
{
    /// <summary>A request answered with <see cref="Response"/> rather than a command answered by events.</summary>
    public bool IsQuery => Response is not null;
}
