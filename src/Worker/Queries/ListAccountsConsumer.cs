using MassTransit;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Queries;

namespace TgFleet.Worker.Queries;

/// <summary>
/// Answers <see cref="ListAccounts"/> with an <see cref="AccountList"/> from the <c>accounts</c>
/// table. Not tied to an account: any worker serves it from <see cref="QueryAddressing.QueueName"/>.
/// </summary>
public sealed class ListAccountsConsumer(AccountQueries accounts) : IConsumer<ListAccounts>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<ListAccounts> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        await context.RespondAsync(await accounts.ListAsync(m, context.CancellationToken));
    }
}
