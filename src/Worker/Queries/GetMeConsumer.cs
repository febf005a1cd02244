using MassTransit;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Queries;

/// <summary>Answers <see cref="GetMe"/> with the account's <see cref="TelegramUser"/> (Telegram's getMe; phone masked).</summary>
public sealed class GetMeConsumer(TelegramQueries queries) : IConsumer<GetMe>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<GetMe> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        return queries.AnswerAsync(context, m.CommandId, m.AccountId, (runtime, ct) => runtime.Queries.GetMeAsync(ct));
    }
}
