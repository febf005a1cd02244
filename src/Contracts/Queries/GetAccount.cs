namespace TgFleet.Contracts.Queries;

/// <summary>Asks for what the fleet knows of an account; answered by <see cref="AccountInfo"/> (or <c>CommandRejected</c> for an unknown account).</summary>
/// <param name="CommandId">The request's id.</param>
/// <param name="AccountId">The account key.</param>
public sealed record GetAccount(Guid CommandId, string AccountId);
