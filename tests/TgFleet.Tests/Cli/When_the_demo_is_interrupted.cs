using NUnit.Framework;
using TgFleet.DevServers;
using TgFleet.Testing;

namespace TgFleet.Tests.Cli;

[TestFixture, Category("Cli")]
public sealed class When_the_demo_is_interrupted
{
    [Test]
    public async Task Ctrl_C_stops_every_process_it_started_and_removes_its_data()
    {
        var root = TestInfrastructure.CreateTempDirectory("demo");
        try
        {
            // Run from the repository so that it finds the built processes, with data elsewhere.
            await using var run = ProcessRun.Start("dotnet", [Demo.Dll, "--duration", "300", "--workers", "1", "--senders", "2", "--data", root],
                workingDirectory: Repository.Root);
            // Interrupted with the senders logged in and the fleet busy.
            await run.WaitForOutputAsync("senders logged in", TimeSpan.FromSeconds(180));

            Signals.Send(run.Pid, Signals.Interrupt);

            Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, run.Output);
            Assert.That(run.Output, Does.Contain("stopped; nothing left running"));
            var log = Demo.LogOf(run.Output);
            Assert.That(File.ReadAllText(log), Does.Contain("worker-1    | (exited with 0)"), "the worker shut down gracefully; its output is in the log");
            Assert.That(run.Output + File.ReadAllText(log), Does.Contain("+4477*****001").And.Not.Contain("+447700900001"), "phones are shown masked only");
            Assert.That(Directory.GetDirectories(root), Is.Empty, "the sandbox is removed");
            Assert.That(ProcessTable.CommandLinesContaining(root), Is.Empty);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(root + "-logs", recursive: true);
        }
    }

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
