namespace TgFleet.Contracts.Accounts;

/// <summary>
/// Starts (or restarts) the login of <paramref name="AccountId"/> with <paramref name="Phone"/>
/// (international format, e.g. <c>+447700900123</c>). Creates the account if it is new. The
/// worker answers with <see cref="AuthenticationStateChanged"/> events (awaiting code, awaiting
/// password, ready, failed).
/// </summary>
/// <param name="CommandId">The idempotency key of this command.</param>
/// <param name="AccountId">The upstream-chosen account key.</param>
/// <param name="Phone">The account's phone number.</param>
public sealed record Authenticate(Guid CommandId, string AccountId, string Phone);
