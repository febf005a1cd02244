using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

/// <summary>
/// The real libtdjson answering testProxy the way ProxyHealthChecks asks it: on a probe client that
/// never gets setTdlibParameters (it never logs in), against a loopback port.
/// </summary>
[TestFixture, Category("Binding")]
public sealed class When_a_proxy_is_tested
{
    [Test]
    public async Task A_probe_client_without_parameters_reports_the_proxy_itself_unreachable()
    {
        await using var probe = BindingRun.Manager.CreateClient();

        var error = Assert.ThrowsAsync<TdException>(() => probe.SendAsync(new Td.TestProxy
        {
            Proxy = new Td.Proxy { Server = "127.0.0.1", Port = ClosedPort(), Type = new Td.ProxyTypeSocks5 { Username = string.Empty, Password = string.Empty } },
            DcId = 2,
            Timeout = 5,
        }, TimeSpan.FromSeconds(30)));

        Assert.That(error!.TdlibMessage, Does.Contain("Connection refused").IgnoreCase,
            "the answer is about the proxy, not about the client lacking its parameters");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
