using TgFleet.Contracts.Accounts;

namespace TgFleet.Contracts.Queries;

/// <summary>Lists accounts, optionally only those in <see cref="Status"/>; answered by <see cref="AccountList"/>.</summary>
/// <param name="CommandId">The request's id.</param>
public sealed record ListAccounts(Guid CommandId)
{
    /// <summary>Only accounts with this status.</summary>
    public AccountStatus? Status { get; init; }

    /// <summary>At most this many (default 1,000).</summary>
    public int Limit { get; init; } = 1000;

    /// <summary>Only account ids after this one (paging; ordinal order).</summary>
    public string? After { get; init; }
}
