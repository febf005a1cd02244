using MassTransit;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Queries;

/// <summary>Answers <see cref="GetChats"/> with the account's <see cref="ChatList"/> (main list, most recent first).</summary>
public sealed class GetChatsConsumer(TelegramQueries queries) : IConsumer<GetChats>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<GetChats> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        return queries.AnswerAsync(context, m.CommandId, m.AccountId,
            async (runtime, ct) => new ChatList(m.AccountId, await runtime.Queries.GetChatsAsync(m.Limit, ct)));
    }
}
