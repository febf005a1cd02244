using MassTransit;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Queries;

/// <summary>
/// Answers <see cref="GetAccount"/> with <see cref="AccountInfo"/> from the <c>accounts</c> table
/// (<c>ACCOUNT_UNKNOWN</c> without a row). The database is the truth, so it needs no running
/// client and is answered even while the shard changes hands.
/// </summary>
public sealed class GetAccountConsumer(AccountQueries accounts, QueryReplies replies) : IConsumer<GetAccount>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<GetAccount> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        if (await replies.RejectIfInvalidAsync(context, m.CommandId, m.AccountId))
        {
            return;
        }

        if (await accounts.GetAsync(m.AccountId, context.CancellationToken) is { } info)
        {
            await context.RespondAsync(info);
            return;
        }

        await replies.RejectAsync(context, m.CommandId, m.AccountId, "AccountId", "ACCOUNT_UNKNOWN", "The fleet has no such account.");
    }
}
