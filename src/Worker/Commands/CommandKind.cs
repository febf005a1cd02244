using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Commands;

/// <summary>
/// What the command pipeline (<see cref="CommandFilter{T}"/>) knows of a message type the worker
/// executes: the per-account messages of <see cref="PerAccountMessages"/>, and ListAccounts.
/// </summary>
/// <param name="Name">The type's name, as events and metrics give it.</param>
/// <param name="IsQuery">Answered by a response (a rejection too), never journalled.</param>
/// <param name="Journalled">Begun and finished in the <see cref="CommandJournal"/> by the pipeline (commands other than SendMessage, whose <c>sending</c> lifecycle is SendJournal's).</param>
/// <param name="CommandIdOf">Reads the idempotency key.</param>
/// <param name="AccountIdOf">Reads the account (null when the message has none).</param>
public sealed record CommandKind(string Name, bool IsQuery, bool Journalled, Func<object, Guid> CommandIdOf, Func<object, string?> AccountIdOf)
{
    private static readonly CommandKind ListAccountsKind = new(nameof(ListAccounts), IsQuery: true, Journalled: false, m => ((ListAccounts)m).CommandId, _ => null)
    {
        PerAccount = false,
    };

    /// <summary>Addressed to one account (and its shard); false for a fleet-wide query.</summary>
    public bool PerAccount { get; init; } = true;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, CommandKind?> Kinds = new();

    /// <summary>The kind of <paramref name="type"/>, or null when the worker does not execute it.</summary>
    public static CommandKind? Of(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Kinds.GetOrAdd(type, Describe);
    }

    private static CommandKind? Describe(Type type)
    {
        if (type == typeof(ListAccounts))
        {
            return ListAccountsKind;
        }

        return PerAccountMessages.Find(type) is { } entry
            ? new CommandKind(type.Name, entry.IsQuery, Journalled: !entry.IsQuery && type != typeof(SendMessage), entry.CommandIdOf, entry.AccountIdOf)
            : null;
    }
}
