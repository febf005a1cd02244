using MassTransit;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Queries;

/// <summary>Answers <see cref="SearchContacts"/> with the account's matching contacts (<see cref="ContactList"/>).</summary>
public sealed class SearchContactsConsumer(TelegramQueries queries) : IConsumer<SearchContacts>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<SearchContacts> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        return queries.AnswerAsync(context, m.CommandId, m.AccountId,
            async (runtime, ct) => new ContactList(m.AccountId, await runtime.Queries.SearchContactsAsync(m.Query ?? string.Empty, m.Limit, ct)));
    }
}
