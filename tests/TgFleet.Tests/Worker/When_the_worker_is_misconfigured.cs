using NUnit.Framework;
using TgFleet.Testing;

namespace TgFleet.Tests.Worker;

[TestFixture, Category("Worker")]
public sealed class When_the_worker_is_misconfigured
{
    [TestCase("Worker")]
    [TestCase("Scheduler")]
    public async Task It_refuses_to_start_and_names_the_missing_settings(string process)
    {
        var dll = Repository.ProcessDll(process);
        await using var run = ProcessRun.Start("dotnet", [dll], workingDirectory: Path.GetDirectoryName(dll),
            environment: new Dictionary<string, string?>
            {
                ["Database__ConnectionString"] = null,
                ["RabbitMq__Uri"] = null,
                ["Urls"] = "http://127.0.0.1:0",
            });

        Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("Database:ConnectionString is required"));
        Assert.That(run.Output, Does.Contain("RabbitMq:Uri is required"));
    }

    [Test]
    public async Task A_non_amqp_broker_uri_is_refused()
    {
        var dll = Repository.ProcessDll("Worker");
        await using var run = ProcessRun.Start("dotnet", [dll], workingDirectory: Path.GetDirectoryName(dll),
            environment: new Dictionary<string, string?>
            {
                ["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Username=x",
                ["RabbitMq__Uri"] = "http://127.0.0.1:1/",
                ["Urls"] = "http://127.0.0.1:0",
            });

        Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("RabbitMq:Uri must be an amqp:// or amqps:// URI"));
    }

    [Test]
    public async Task A_heartbeat_out_of_range_is_refused()
    {
        var dll = Repository.ProcessDll("Worker");
        await using var run = ProcessRun.Start("dotnet", [dll], workingDirectory: Path.GetDirectoryName(dll),
            environment: new Dictionary<string, string?>
            {
                ["Database__ConnectionString"] = "Host=127.0.0.1;Port=1;Username=x",
                ["RabbitMq__Uri"] = "amqp://127.0.0.1:1/",
                ["RabbitMq__Heartbeat"] = "00:00:00",
                ["Urls"] = "http://127.0.0.1:0",
            });

        Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Zero);
        Assert.That(run.Output, Does.Contain("RabbitMq:Heartbeat must be between 2 s and 10 min"));
    }
}
