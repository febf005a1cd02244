using MassTransit;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Worker.Accounts;

/// <summary>Starts (or restarts) an account's login with its phone number.</summary>
public sealed class AuthenticateConsumer(AccountCommands commands) : IConsumer<Authenticate>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<Authenticate> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var m = context.Message;
        return commands.HandleAsync(context, m.CommandId, m.AccountId, startIfNew: true,
            (runtime, ct) => runtime.Login.SetPhoneAsync(m.CommandId, PhoneNumber.TryNormalize(m.Phone, out var phone) ? phone : m.Phone, ct));
    }
}
