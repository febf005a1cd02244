using System.ComponentModel.DataAnnotations;

namespace TgFleet.Worker.Messaging;

/// <summary>How the worker sends messages (section <c>Sending</c>).</summary>
public sealed class SendingOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Sending";

    /// <summary>
    /// A SendMessage arriving during the account's FLOOD_WAIT is held until the wait ends when at most
    /// this much of it is left; a longer wait fails the command at once (<c>FLOOD_WAIT</c>, not
    /// permanent, with <c>RetryAfter</c>) so that no broker message is held for it (default 5 s).
    /// </summary>
    public TimeSpan MaxFloodWaitHold { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a send may wait for Telegram's confirmation before its outcome counts as unknown (default 2 min).</summary>
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A SendMessage for an account whose stored session is still being restored (its shard has
    /// just moved to this worker) waits this long for it to be ready before it fails with
    /// <c>ACCOUNT_NOT_READY</c> (default 30 s).
    /// </summary>
    public TimeSpan RestoreWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Shards handed over gracefully (rebalanced, shutting down) wait this long, together, for the
    /// outcomes of their sends still in flight at Telegram before their accounts stop; what is still
    /// open then is resolved by their next owner (default 10 s).
    /// </summary>
    public TimeSpan HandOverWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A shard's next owner looks for the sends its predecessors left open when the shard starts,
    /// and once more this long after (default 30 s): a predecessor's journal write that read the old
    /// lease just before the take-over committed can commit just after the first look
    /// (docs/messaging.md, "Sends finish asynchronously"). Npgsql cancels a statement after 30 s.
    /// </summary>
    public TimeSpan LeftOpenRescan { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an account stays limited after PEER_FLOOD: only contacts are messaged meanwhile (default 24 h).</summary>
    public TimeSpan PeerFloodPause { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Attempts of a recipient look-up on transient errors (timeouts, TDLib 5xx), with jittered backoff (default 3).</summary>
    [Range(1, 10, ErrorMessage = "Sending:LookupAttempts must be between 1 and 10.")]
    public int LookupAttempts { get; set; } = 3;

    /// <summary>The first backoff of a look-up retry; later ones grow exponentially with jitter (default 200 ms).</summary>
    public TimeSpan LookupBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxFloodWaitHold < TimeSpan.Zero)
        {
            yield return new ValidationResult("Sending:MaxFloodWaitHold must not be negative.");
        }

        if (RestoreWait < TimeSpan.Zero || HandOverWait < TimeSpan.Zero || LeftOpenRescan < TimeSpan.Zero)
        {
            yield return new ValidationResult("Sending:RestoreWait, Sending:HandOverWait and Sending:LeftOpenRescan must not be negative.");
        }

        if (ConfirmTimeout <= TimeSpan.Zero || PeerFloodPause <= TimeSpan.Zero || LookupBackoff <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Sending:ConfirmTimeout, Sending:PeerFloodPause and Sending:LookupBackoff must be positive.");
        }
    }
}
