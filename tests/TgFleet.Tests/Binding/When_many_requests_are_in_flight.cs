using NUnit.Framework;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_many_requests_are_in_flight
{
    [Test]
    public async Task Each_of_10000_requests_over_100_clients_gets_its_own_answer()
    {
        var manager = BindingRun.Manager;
        var clients = Enumerable.Range(0, 100).Select(_ => manager.CreateClient()).ToArray();
        try
        {
            // testSquareInt answers offline, before setTdlibParameters: x² tells whose answer it is.
            var requests = Enumerable.Range(0, 10_000)
                .Select(x => (X: x, Client: clients[x % clients.Length]))
                .Select(r => (r.X, r.Client, Answer: r.Client.SendAsync(new Td.TestSquareInt { X = r.X }, TimeSpan.FromSeconds(60))))
                .ToArray();

            await Task.WhenAll(requests.Select(r => r.Answer));

            var wrong = requests.Where(r => r.Answer.Result.Value != r.X * r.X || r.Answer.Result.ClientId != r.Client.Id).ToArray();
            Assert.That(wrong, Is.Empty, () => $"{wrong.Length} answers went to the wrong request, e.g. x={wrong[0].X} got {wrong[0].Answer.Result.Value}");
            Assert.That(manager.PendingRequestCount, Is.Zero);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
