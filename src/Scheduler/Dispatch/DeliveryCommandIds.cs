using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TgFleet.Scheduler.Dispatch;

/// <summary>
/// The SendMessage command id of one attempt of one delivery: a name-based UUID (version 8) of
/// (campaign, delivery, attempt). The same attempt always has the same id, so sending it again is
/// harmless (the worker's journal answers the recorded outcome); a new attempt has a new id.
/// </summary>
public static class DeliveryCommandIds
{
    /// <summary>The command id of <paramref name="attempt"/> of delivery <paramref name="deliveryId"/>.</summary>
    public static Guid For(Guid campaignId, long deliveryId, int attempt)
    {
        Span<byte> input = stackalloc byte[16 + 8 + 4];
        campaignId.TryWriteBytes(input);
        BinaryPrimitives.WriteInt64BigEndian(input[16..], deliveryId);
        BinaryPrimitives.WriteInt32BigEndian(input[24..], attempt);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
