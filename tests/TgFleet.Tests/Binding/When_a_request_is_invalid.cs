using NUnit.Framework;
using TgFleet.Tdlib;
using Td = TgFleet.Tdlib.Api;

namespace TgFleet.Tests.Binding;

[TestFixture, Category("Binding")]
public sealed class When_a_request_is_invalid
{
    [Test]
    public async Task It_fails_with_TDLibs_code_and_message()
    {
        await using var client = BindingRun.Manager.CreateClient();

        var error = Assert.ThrowsAsync<TdException>(() => client.SendAsync(new Td.SetTdlibParameters(), TimeSpan.FromSeconds(30)));

        Assert.That(error!.Code, Is.EqualTo(400));
        Assert.That(error.TdlibMessage, Does.StartWith("Valid api_id must be provided"));
        Assert.That(error.Message, Does.Contain("400").And.Contain("Valid api_id"));
        var answer = await client.SendAsync(new Td.TestSquareInt { X = 12 }, TimeSpan.FromSeconds(30));
        Assert.That(answer.Value, Is.EqualTo(144), "the client goes on after an error");
    }
}

[TestFixture, Category("Binding")]
public sealed class When_a_request_is_cancelled_or_times_out
{
    [Test]
    public async Task A_cancelled_request_ends_cancelled_and_is_forgotten()
    {
        await using var client = BindingRun.Manager.CreateClient();
        using var cancellation = new CancellationTokenSource();

        var alarm = client.SendAsync(new Td.SetAlarm { Seconds = 120 }, cancellation.Token);
        await cancellation.CancelAsync();

        Assert.That(async () => await alarm, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(BindingRun.Manager.PendingRequestCount, Is.LessThan(100));
    }

    [Test]
    public async Task A_request_past_its_timeout_throws_TimeoutException()
    {
        await using var client = BindingRun.Manager.CreateClient();

        Assert.That(
            async () => await client.SendAsync(new Td.SetAlarm { Seconds = 120 }, TimeSpan.FromMilliseconds(200)),
            Throws.InstanceOf<TimeoutException>());
    }

    [Test]
    public async Task A_request_on_a_cancelled_token_is_not_sent()
    {
        await using var client = BindingRun.Manager.CreateClient();

        Assert.That(
            async () => await client.SendAsync(new Td.TestSquareInt { X = 2 }, new CancellationToken(canceled: true)),
            Throws.InstanceOf<OperationCanceledException>());
    }
}
