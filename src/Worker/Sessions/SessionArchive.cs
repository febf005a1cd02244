using System.Formats.Tar;

namespace TgFleet.Worker.Sessions;

/// <summary>
/// A TDLib client's database directory as one byte array (a tar of its regular files) and back.
/// With the message, chat and file databases off this is td.binlog alone, a few kilobytes.
/// </summary>
public static class SessionArchive
{
    /// <summary>Packs every regular file directly in <paramref name="directory"/>.</summary>
    public static async Task<byte[]> PackAsync(string directory, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
            {
                await tar.WriteEntryAsync(file, Path.GetFileName(file), cancellationToken);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Unpacks into <paramref name="directory"/> (created if needed); entries cannot escape it.</summary>
    public static async Task UnpackAsync(byte[] archive, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        using var buffer = new MemoryStream(archive, writable: false);
        await using var tar = new TarReader(buffer);
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var name = Path.GetFileName(entry.Name);
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || name != entry.Name || name.Length == 0)
            {
                throw new InvalidDataException($"The session archive holds an entry this worker does not restore: '{entry.Name}' ({entry.EntryType}).");
            }

            await entry.ExtractToFileAsync(Path.Combine(directory, name), overwrite: true, cancellationToken);
        }
    }
}
