namespace TgFleet.Testing;

/// <summary>Temp folders that throwaway servers can use.</summary>
public static class TestFolders
{
    /// <summary>
    /// Temp folders are created 0700; PostgreSQL runs as the postgres OS user when the tests run
    /// as root, and must traverse them to reach its data directory.
    /// </summary>
    public static void OpenToServerUsers(string path) =>
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
}
