using System.Diagnostics;
using NUnit.Framework;
using TgFleet.DevServers;
using TgFleet.Testing;

namespace TgFleet.Tests.Harness;

[TestFixture, Category("Harness")]
public sealed class When_a_run_dies
{
    private string _root = null!;

    [SetUp]
    public void MakeRoot()
    {
        _root = TestInfrastructure.CreateTempDirectory("stale");
    }

    [TearDown]
    public void RemoveRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task The_next_start_kills_its_servers_and_removes_its_sandbox()
    {
        // A sandbox left by an owner that is gone, with a server process still running in it.
        using var server = Process.Start("sleep", "600");
        var stale = Directory.CreateDirectory(Path.Combine(_root, "run-424242-deadbeef")).FullName;
        await File.WriteAllTextAsync(Path.Combine(stale, "owner.pid"), "424242 1");
        await File.WriteAllTextAsync(Path.Combine(stale, "pids"), $"{server.Id} {StartTicks(server.Id)}\n");

        using var fresh = Sandbox.Create(_root, "run");

        await Wait.UntilAsync(() => server.HasExited, TimeSpan.FromSeconds(10), () => "the stale server still runs");
        Assert.That(Directory.Exists(stale), Is.False);
        Assert.That(Directory.Exists(fresh.Path), Is.True);
    }

    [Test]
    public async Task A_pid_reused_by_another_process_is_spared()
    {
        using var bystander = Process.Start("sleep", "600");
        var stale = Directory.CreateDirectory(Path.Combine(_root, "run-424243-deadbeef")).FullName;
        await File.WriteAllTextAsync(Path.Combine(stale, "owner.pid"), "424243 1");
        // Same pid, another start time: not the process the dead run started.
        await File.WriteAllTextAsync(Path.Combine(stale, "pids"), $"{bystander.Id} 1\n");

        using var fresh = Sandbox.Create(_root, "run");

        Assert.That(Directory.Exists(stale), Is.False);
        Assert.That(bystander.HasExited, Is.False);
        bystander.Kill();
    }

    [Test]
    public async Task A_SIGKILLed_owner_leaves_no_server_and_no_data_behind()
    {
        // The demo as the owner: it starts a throwaway PostgreSQL and RabbitMQ, then is killed -9.
        var demo = Path.Combine(Repository.Root, "src", "Demo", "bin", Repository.Configuration, "net10.0", "TgFleet.Demo.dll");
        await using var run = ProcessRun.Start("dotnet", [demo, "--duration", "300", "--workers", "0"], workingDirectory: _root);
        await run.WaitForOutputAsync("RabbitMQ on 127.0.0.1", TimeSpan.FromSeconds(120));
        var sandboxes = Path.Combine(_root, ".local", "demo");
        Assert.That(ProcessTable.CommandLinesContaining(sandboxes), Is.Not.Empty, "the servers run from the sandbox");

        Signals.Send(run.Pid, Signals.KillNow);

        await Wait.UntilAsync(() => ProcessTable.CommandLinesContaining(sandboxes).Count == 0 && Directory.GetDirectories(sandboxes).Length == 0,
            TimeSpan.FromSeconds(30), () => string.Join(", ", ProcessTable.CommandLinesContaining(sandboxes)));
    }

    private static string StartTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
    }
}
