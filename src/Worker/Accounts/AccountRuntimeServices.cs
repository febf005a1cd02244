using TgFleet.Tdlib;
using TgFleet.Worker.Messaging;
using TgFleet.Worker.Proxies;
using TgFleet.Worker.Sessions;

namespace TgFleet.Worker.Accounts;

/// <summary>What an <see cref="AccountRuntime"/> needs from the worker: shared by every runtime.</summary>
/// <param name="Manager">The process's TDLib client manager.</param>
/// <param name="Cipher">Session encryption.</param>
/// <param name="Sessions">The sessions table (epoch-fenced).</param>
/// <param name="Accounts">The accounts table.</param>
/// <param name="Events">Where the account's events go.</param>
/// <param name="Options">Telegram settings.</param>
/// <param name="Sending">Sending settings.</param>
/// <param name="Proxies">Account proxies and the pool.</param>
/// <param name="OptOuts">The fleet's opt-out list.</param>
/// <param name="Metrics">The worker's instruments.</param>
/// <param name="Time">The clock.</param>
/// <param name="Loggers">Loggers.</param>
/// <param name="Lookups">The recipient look-ups' resilience pipeline (<see cref="RecipientLookups"/>).</param>
public sealed record AccountRuntimeServices(
    TdClientManager Manager,
    SessionCipher Cipher,
    SessionStore Sessions,
    AccountStore Accounts,
    IAccountEvents Events,
    TelegramOptions Options,
    SendingOptions Sending,
    AccountProxies Proxies,
    OptOutStore OptOuts,
    WorkerMetrics Metrics,
    TimeProvider Time,
    ILoggerFactory Loggers,
    Polly.ResiliencePipeline Lookups)
{
    /// <summary>How the client's connections leave the worker (through the egress gate by default; docs/fencing.md).</summary>
    public Fencing.EgressRoute Egress { get; init; } = Fencing.EgressRoute.Direct;
}
