using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli;

[TestFixture, Category("Cli")]
public sealed class When_the_demo_is_given_a_bad_option
{
    [TestCase("--workers", "many", "--workers must be a whole number")]
    [TestCase("--senders", "0", "--senders must be a whole number")]
    [TestCase("--recipients", "lots", "--recipients must be a whole number")]
    [TestCase("--duration", "-5", "--duration must be a positive number")]
    [TestCase("--configuration", "Fast", "--configuration must be Debug or Release")]
    public async Task A_bad_option_is_named_before_anything_starts(string option, string value, string message)
    {
        await using var run = ProcessRun.Start("dotnet", [Demo.Dll, option, value], workingDirectory: Repository.Root);

        Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(2));
        Assert.That(run.Output, Does.Contain(message));
        Assert.That(run.Output, Does.Not.Contain("PostgreSQL"), "nothing was started");
    }
}

/// <summary>The built demo.</summary>
internal static class Demo
{
    public static string Dll => Path.Combine(Repository.Root, "src", "Demo", "bin", Repository.Configuration, "net10.0", "TgFleet.Demo.dll");

    /// <summary>The log file the demo named in its output ("process logs: PATH").</summary>
    public static string LogOf(string output)
    {
        const string marker = "process logs: ";
        var line = output.Split('\n').First(l => l.Contains(marker, StringComparison.Ordinal));
        return line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..].Trim();
    }
}
