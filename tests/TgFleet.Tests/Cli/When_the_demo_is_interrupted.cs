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
            var demo = Path.Combine(Repository.Root, "src", "Demo", "bin", Repository.Configuration, "net10.0", "TgFleet.Demo.dll");
            await using var run = ProcessRun.Start("dotnet", [demo, "--duration", "300", "--workers", "1", "--data", root],
                workingDirectory: Repository.Root);
            await run.WaitForOutputAsync("worker-1=ready", TimeSpan.FromSeconds(120));
            // The scenario logs an account in through the bus: interrupted with a login behind it.
            await run.WaitForOutputAsync("demo-account-1: AccountStatusChanged Online", TimeSpan.FromSeconds(60));

            Signals.Send(run.Pid, Signals.Interrupt);

            Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(60)), Is.Zero, run.Output);
            Assert.That(run.Output, Does.Contain("worker-1    | (exited with 0)"), "the worker shut down gracefully");
            Assert.That(run.Output, Does.Contain("+4477*****101").And.Not.Contain("+447700900101"), "phones are shown masked only");
            Assert.That(Directory.GetDirectories(root), Is.Empty, "the sandbox is removed");
            Assert.That(ProcessTable.CommandLinesContaining(root), Is.Empty);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestCase("--workers", "many", "--workers must be a whole number")]
    [TestCase("--duration", "-5", "--duration must be a positive number")]
    [TestCase("--configuration", "Fast", "--configuration must be Debug or Release")]
    public async Task A_bad_option_is_named_before_anything_starts(string option, string value, string message)
    {
        var demo = Path.Combine(Repository.Root, "src", "Demo", "bin", Repository.Configuration, "net10.0", "TgFleet.Demo.dll");
        await using var run = ProcessRun.Start("dotnet", [demo, option, value], workingDirectory: Repository.Root);

        Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(2));
        Assert.That(run.Output, Does.Contain(message));
        Assert.That(run.Output, Does.Not.Contain("PostgreSQL"), "nothing was started");
    }
}
