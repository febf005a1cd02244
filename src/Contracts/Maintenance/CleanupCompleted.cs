namespace TgFleet.Contracts.Maintenance;

/// <summary>
/// The scheduler's recurring cleanup ran: what it deleted. It never deletes the session of an
/// authorized account whose shard lease is live.
/// </summary>
/// <param name="RunId">This run's id.</param>
/// <param name="Sessions">Sessions deleted (of logged-out, revoked and banned accounts).</param>
/// <param name="JournalRows">Idempotency-journal rows deleted (past the retention).</param>
/// <param name="Deliveries">Deliveries of ended campaigns deleted (past the retention).</param>
/// <param name="Workers">Stale worker registrations deleted.</param>
/// <param name="Timestamp">When the run ended.</param>
public sealed record CleanupCompleted(Guid RunId, int Sessions, long JournalRows, long Deliveries, int Workers, DateTimeOffset Timestamp);
