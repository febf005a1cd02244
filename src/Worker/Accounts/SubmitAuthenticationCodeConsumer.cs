using MassTransit;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Accounts;

/// <summary>Hands the login code to the account's runtime (never logged).</summary>
public sealed class SubmitAuthenticationCodeConsumer(AccountCommands commands) : IConsumer<SubmitAuthenticationCode>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<SubmitAuthenticationCode> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        return commands.HandleAsync(context, m.CommandId, m.AccountId, startIfNew: false,
            (runtime, ct) => runtime.Login.SubmitCodeAsync(m.CommandId, m.Code, ct));
    }
}
