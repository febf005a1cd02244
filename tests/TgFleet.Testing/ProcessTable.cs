namespace TgFleet.Testing;

/// <summary>Reads the machine's process table (/proc) for evidence that processes are gone.</summary>
public static class ProcessTable
{
    /// <summary>"pid: command line" of every process whose command line mentions <paramref name="text"/>,
    /// except the sandbox watchdogs (they exit on their own once the sandbox is gone).</summary>
    public static IReadOnlyList<string> CommandLinesContaining(string text)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var pid = Path.GetFileName(dir);
            if (!pid.All(char.IsAsciiDigit) || pid == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal) && !cmdline.Contains("watchdog.sh", StringComparison.Ordinal))
                {
                    found.Add($"{pid}: {cmdline[..Math.Min(120, cmdline.Length)]}");
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not readable: not ours.
            }
        }

        return found;
    }
}
