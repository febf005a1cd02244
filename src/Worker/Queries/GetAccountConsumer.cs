using MassTransit;
using TgFleet.Contracts.Queries;
using TgFleet.Worker.Commands;

namespace TgFleet.Worker.Queries;

/// <summary>
/// Answers <see cref="GetAccount"/> with <see cref="AccountInfo"/> from the <c>accounts</c> table
/// (<c>ACCOUNT_UNKNOWN</c> without a row). The database is the truth, so it needs no running
/// client and is answered even while the shard changes hands.
/// </summary>
public sealed class GetAccountConsumer(AccountQueries accounts) : IConsumer<GetAccount>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<GetAccount> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        if (await accounts.GetAsync(m.AccountId, context.CancellationToken) is { } info)
        {
            await context.RespondAsync(info);
        }
        else
        {
            context.Refuse("AccountId", "ACCOUNT_UNKNOWN", "The fleet has no such account.");
        }
    }
}
