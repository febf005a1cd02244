using NUnit.Framework;

namespace TgFleet.Tests.Harness;

[TestFixture, Category("Harness")]
public sealed class When_the_tests_run
{
    [Test]
    public void Nothing_they_start_can_reach_beyond_this_machine()
    {
        // build.sh runs the tests in a network namespace with loopback only (libtdjson connects to
        // Telegram's data centres as soon as a client has its parameters).
        if (Environment.GetEnvironmentVariable("TGFLEET_NETWORK_ISOLATED") != "1")
        {
            Assert.Ignore("Run outside ./build.sh test (no network namespace): isolation not claimed.");
        }

        var interfaces = File.ReadLines("/proc/self/net/dev").Skip(2).Select(line => line.Split(':')[0].Trim()).ToList();
        var routes = File.ReadLines("/proc/self/net/route").Skip(1).ToList();

        Assert.That(string.Join(",", interfaces), Is.EqualTo("lo"));
        Assert.That(routes, Is.Empty, "no IPv4 route leads anywhere but loopback");
    }
}
