using MassTransit;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Accounts;

/// <summary>Hands the two-step verification password to the account's runtime (never logged).</summary>
public sealed class SubmitAuthenticationPasswordConsumer(AccountCommands commands) : IConsumer<SubmitAuthenticationPassword>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<SubmitAuthenticationPassword> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        return commands.HandleAsync(context, m.CommandId, m.AccountId, startIfNew: false,
            (runtime, ct) => runtime.Login.SubmitPasswordAsync(m.CommandId, m.Password, ct));
    }
}
