using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using TgFleet.DevServers;
using TgFleet.Testing;

namespace TgFleet.Tests.Harness;

[TestFixture, Category("Harness")]
public sealed class When_the_setup_is_bad
{
    private string _dir = null!;

    [SetUp]
    public void CopyThePlacementScript()
    {
        // A copy places into its own lib/, leaving the repository's libtdjson alone.
        _dir = TestInfrastructure.CreateTempDirectory("place");
        foreach (var file in new[] { "place-libtdjson.sh", "libtdjson.lock" })
        {
            File.Copy(Path.Combine(Repository.Root, "native", "tdlib", file), Path.Combine(_dir, file));
        }
    }

    [TearDown]
    public void RemoveTheCopy() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task A_tarball_whose_integrity_differs_is_refused_naming_both_values()
    {
        var tarball = Path.Combine(_dir, "tampered.tgz");
        await File.WriteAllTextAsync(tarball, "not the pinned package");

        await using var run = ProcessRun.Start("bash", [Path.Combine(_dir, "place-libtdjson.sh")],
            environment: new Dictionary<string, string?> { ["TGFLEET_TDJSON_TARBALL"] = tarball });

        Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1));
        Assert.That(run.Output, Does.Contain("integrity mismatch"));
        Assert.That(run.Output, Does.Contain("sha512-Y72TtxX33TjfpvNxUyzS"), "the pinned value");
        Assert.That(File.Exists(Path.Combine(_dir, "lib", "libtdjson.so")), Is.False, "nothing placed");
    }

    [Test]
    public async Task Without_npm_it_says_npm_is_required()
    {
        // A PATH with the tools the script needs, but no npm.
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        foreach (var tool in new[] { "bash", "sed", "cat", "openssl", "mktemp", "rm", "tar", "ls", "head", "base64", "dirname" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool), Path.Combine("/usr/bin", tool));
        }

        await using var run = ProcessRun.Start(Path.Combine(bin, "bash"), [Path.Combine(_dir, "place-libtdjson.sh")],
            environment: new Dictionary<string, string?> { ["PATH"] = bin, ["TGFLEET_TDJSON_TARBALL"] = null });

        Assert.That(await run.ExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(1));
        Assert.That(run.Output, Does.Contain("npm is required"));
    }

    [Test]
    public void A_port_in_use_is_named_in_the_error()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        using var sandbox = Sandbox.Create(Path.Combine(_dir, "sandboxes"), "port-test");

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => ThrowawayPostgres.StartAsync(sandbox, port));

        Assert.That(error!.Message, Does.Contain($"Port {port}").And.Contain("already in use"));
    }
}
