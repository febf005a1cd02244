using System.Collections.Concurrent;
using System.Globalization;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Messaging;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Worker.Messaging;

/// <summary>A chat to send to and, for a private chat, the user in it.</summary>
/// <param name="ChatId">The chat.</param>
/// <param name="UserId">The user in a private chat (0 for a group or channel).</param>
internal readonly record struct RecipientChat(long ChatId, long UserId);

/// <summary>A recipient that cannot be sent to; <see cref="Reason"/> is the failure's reason.</summary>
internal sealed class RecipientException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// One account's recipients: a username, phone, user id or chat id resolved to the chat to send to
/// (through TDLib, retried on transient errors by <see cref="RecipientLookups"/>), and remembered.
/// </summary>
internal sealed class RecipientResolver(Polly.ResiliencePipeline lookups, TimeSpan timeout)
{
    private readonly ConcurrentDictionary<string, RecipientChat> _known = new(StringComparer.Ordinal);

    /// <summary>The chat <paramref name="to"/> names, for <paramref name="client"/>'s account.</summary>
    /// <exception cref="RecipientException">There is no such recipient.</exception>
    public async Task<RecipientChat> ResolveAsync(TdClient client, Recipient to, CancellationToken cancellationToken)
    {
        var key = to.Kind switch
        {
            RecipientKind.Username => "u:" + to.Value.TrimStart('@').ToLowerInvariant(),
            RecipientKind.Phone => "p:" + (PhoneNumber.TryNormalize(to.Value, out var phone) ? phone : to.Value),
            _ => to.Kind + ":" + to.Value,
        };
        if (_known.TryGetValue(key, out var known))
        {
            return known;
        }

        Td.Chat chat;
        switch (to.Kind)
        {
            case RecipientKind.Username:
                chat = await LookupAsync(ct => client.SendAsync(new Td.SearchPublicChat { Username = to.Value.TrimStart('@') }, timeout, ct), cancellationToken);
                break;
            case RecipientKind.Phone:
                var userId = await UserByPhoneAsync(client, key[2..], cancellationToken);
                chat = await LookupAsync(ct => client.SendAsync(new Td.CreatePrivateChat { UserId = userId, Force = false }, timeout, ct), cancellationToken);
                break;
            case RecipientKind.UserId:
                var user = long.Parse(to.Value, NumberStyles.None, CultureInfo.InvariantCulture);
                chat = await NotFoundAsRecipientAsync(() => LookupAsync(ct => client.SendAsync(new Td.CreatePrivateChat { UserId = user, Force = false }, timeout, ct), cancellationToken),
                    "This account has not seen a user with that id; send by username or phone first.");
                break;
            default:
                var chatId = long.Parse(to.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                chat = await NotFoundAsRecipientAsync(() => LookupAsync(ct => client.SendAsync(new Td.GetChat { ChatId = chatId }, timeout, ct), cancellationToken),
                    "This account has no chat with that id.");
                break;
        }

        var target = new RecipientChat(chat.Id, chat.Type is Td.ChatTypePrivate p ? p.UserId : 0);
        _known[key] = target;
        return target;
    }

    /// <summary>Whether <paramref name="userId"/> is one of the account's contacts.</summary>
    public async Task<bool> IsContactAsync(TdClient client, long userId, CancellationToken cancellationToken) =>
        (await LookupAsync(ct => client.SendAsync(new Td.GetUser { UserId = userId }, timeout, ct), cancellationToken)).IsContact;

    private async Task<long> UserByPhoneAsync(TdClient client, string phone, CancellationToken cancellationToken)
    {
        try
        {
            var user = await LookupAsync(ct => client.SendAsync(new Td.SearchUserByPhoneNumber { PhoneNumber = phone, OnlyLocal = false }, timeout, ct), cancellationToken);
            return user.Id;
        }
        catch (TdException e) when (e.Code == 404)
        {
            // Not visible by phone (not a contact, or hidden): importing the contact is how an app finds them.
        }

        var imported = await LookupAsync(ct => client.SendAsync(new Td.ImportContacts
        {
            Contacts = [new Td.ImportedContact { PhoneNumber = phone, FirstName = phone, LastName = string.Empty }],
        }, timeout, ct), cancellationToken);
        var id = imported.UserIds is { Length: > 0 } ids ? ids[0] : 0;
        return id != 0 ? id : throw new RecipientException("RECIPIENT_NOT_FOUND", "No Telegram user has that phone number (or they hide it).");
    }

    private static async Task<Td.Chat> NotFoundAsRecipientAsync(Func<Task<Td.Chat>> lookup, string detail)
    {
        try
        {
            return await lookup();
        }
        catch (TdException e) when (e.Code is 400 or 404 && e.TdlibMessage.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new RecipientException("RECIPIENT_UNKNOWN", detail);
        }
    }

    /// <summary>A look-up, retried on transient errors by the shared pipeline (<see cref="RecipientLookups"/>).</summary>
    private async Task<T> LookupAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await lookups.ExecuteAsync(async ct => await call(ct), cancellationToken);
}
