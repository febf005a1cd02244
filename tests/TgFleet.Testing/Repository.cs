namespace TgFleet.Testing;

/// <summary>Paths in the repository the tests run from.</summary>
public static class Repository
{
    /// <summary>The repository root (the folder holding TgFleet.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration the tests were built with (the processes are built alike).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The built entry assembly of <c>src/{project}</c>, e.g. <c>Worker</c>.</summary>
    public static string ProcessDll(string project)
    {
        var dll = Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", $"TgFleet.{project}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"src/{project} is not built ({dll}); build the solution first.", dll);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TgFleet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No TgFleet.sln above {AppContext.BaseDirectory}.");
    }
}
