using System.ComponentModel.DataAnnotations;

namespace TgFleet.Worker.Sessions;

/// <summary>
/// Session encryption and checkpoint settings (section <c>Sessions</c>). Keys are 32 random bytes,
/// base64, by id: <c>Sessions:Keys:2026-11=…</c>. New writes use <see cref="ActiveKeyId"/>; every
/// key still listed can read the blobs written with it (rotation: add a key, make it active, keep
/// the old one until every session has been checkpointed again; see docs/sessions.md).
/// </summary>
public sealed class SessionOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Sessions";

    /// <summary>The id of the key new session blobs are encrypted with.</summary>
    /// <remarks>Checked in <see cref="Validate"/>, not by [Required]: a failed attribute would hide every other problem.</remarks>
    public string ActiveKeyId { get; set; } = string.Empty;

    /// <summary>Master keys by id, each 32 bytes in base64.</summary>
    public Dictionary<string, string> Keys { get; set; } = [];

    /// <summary>How often a running account's session is checkpointed (default 5 minutes).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How many of a shard's stored sessions are restored side by side when the shard starts here
    /// (default 16): each restore waits mostly on TDLib and the database, so a shard taken over from
    /// a dead worker is back sooner.
    /// </summary>
    [Range(1, 256, ErrorMessage = "Sessions:RestoreConcurrency must be between 1 and 256.")]
    public int RestoreConcurrency { get; set; } = 16;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ActiveKeyId))
        {
            yield return new ValidationResult("Sessions:ActiveKeyId is required (the id of the key that encrypts new session blobs).");
        }
        else if (!Keys.ContainsKey(ActiveKeyId))
        {
            yield return new ValidationResult($"Sessions:ActiveKeyId '{ActiveKeyId}' names no key in Sessions:Keys.");
        }

        foreach (var (id, value) in Keys)
        {
            if (!IsKey(value))
            {
                // The value itself is a secret: never echo it.
                yield return new ValidationResult($"Sessions:Keys:{id} is not 32 bytes of base64.");
            }
        }

        if (CheckpointInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Sessions:CheckpointInterval must be positive.");
        }
    }

    private static bool IsKey(string value)
    {
        Span<byte> buffer = stackalloc byte[48];
        return Convert.TryFromBase64String(value, buffer, out var written) && written == SessionCipher.KeySize;
    }
}
