using System.Diagnostics;
using System.Net.Http.Json;
using MassTransit;
using Npgsql;
using TgFleet.Contracts.Accounts;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Messaging;

namespace TgFleet.Demo;

/// <summary>
/// What the demo shows once the fleet runs: simulated accounts logged in through the real command
/// flow (Authenticate → the code from the simulator's control API → SubmitAuthenticationCode),
/// a few SendMessage commands, every event the fleet publishes as it arrives, then one worker
/// stopped with SIGTERM and its shards and accounts moving to the others. Phones are masked.
/// </summary>
internal sealed class Scenario(IReadOnlyList<ChildProcess> children, Uri amqp, Uri simulator, string connectionString)
{
    private const string Source = "scenario";
    private static readonly TimeSpan StepDeadline = TimeSpan.FromSeconds(60);
    private readonly DemoEvents _events = new();

    /// <summary>Runs the scenario; never throws (a failure is shown, the fleet keeps running).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var workers = children.Where(c => c.Name.StartsWith("worker-", StringComparison.Ordinal)).ToList();
        var sim = children.FirstOrDefault(c => c.Name == "simulator");
        if (workers.Count == 0 || sim is null)
        {
            ChildProcess.Say(Source, "no workers or no simulator running: nothing to show");
            return;
        }

        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(amqp);
            // The demo's own queue, bound to every event the fleet publishes.
            cfg.ReceiveEndpoint("tgfleet.demo.events", e =>
            {
                e.Handler<AuthenticationStateChanged>(c => _events.Show(c.Message));
                e.Handler<AccountStatusChanged>(c => _events.Show(c.Message));
                e.Handler<CommandRejected>(c => _events.Show(c.Message));
                e.Handler<MessageSent>(c => _events.Show(c.Message));
                e.Handler<MessageFailed>(c => _events.Show(c.Message));
                e.Handler<IncomingMessageReceived>(c => _events.Show(c.Message));
            });
        });
        using var http = new HttpClient { BaseAddress = simulator, Timeout = TimeSpan.FromSeconds(5) };
        await using var db = NpgsqlDataSource.Create(connectionString);
        var shards = new ShardWatch(db, workers);
        Task? watching = null;
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            await bus.StartAsync(stop);
            ChildProcess.Say(Source, "waiting for every worker to be ready and every shard to have an owner…");
            await UntilAsync(async () => await AllReadyAsync(workers, stop) && (await shards.OwnersAsync(stop)).Count == ShardAddressing.DefaultShardCount, stop);
            watching = shards.WatchAsync(watchStop.Token);

            var accounts = await SeedAsync(http, stop);
            foreach (var account in accounts)
            {
                await LogInAsync(bus, http, account, stop);
            }

            await SendAsync(bus, accounts, stop);

            if (workers.Count < 2)
            {
                ChildProcess.Say(Source, "one worker only: no hand-over to show (run with --workers 2 or more). Ctrl+C stops everything.");
                await Task.Delay(Timeout.Infinite, stop);
                return;
            }

            await HandOverAsync(workers[0], accounts, shards, stop);
            ChildProcess.Say(Source, "done. The fleet keeps running; Ctrl+C stops everything.");
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C or --duration.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ChildProcess.Say(Source, "failed: " + e.Message, ConsoleColor.Red);
        }
        finally
        {
            await watchStop.CancelAsync();
            if (watching is not null)
            {
                await watching;
            }

            await bus.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<List<DemoAccount>> SeedAsync(HttpClient http, CancellationToken stop)
    {
        // Ofcom's drama range (+44 7700 900xxx): numbers that belong to nobody.
        var accounts = Enumerable.Range(1, 4).Select(i => new DemoAccount($"demo-account-{i}", $"+4477009001{i:00}")).ToList();
        var seeded = await http.PostAsJsonAsync("control/accounts", accounts.Select(a => new { phone = a.Phone, firstName = "Demo", lastName = a.Id }), stop);
        seeded.EnsureSuccessStatusCode();
        var recipients = await http.PostAsJsonAsync("control/users", new object[]
        {
            new { phone = Recipients.AlicePhone, firstName = "Alice", username = Recipients.AliceUsername, replies = new[] { new { text = "Thanks, got it!", delayMs = 500 } } },
            new { phone = Recipients.BobPhone, firstName = "Bob" },
        }, stop);
        recipients.EnsureSuccessStatusCode();
        ChildProcess.Say(Source, $"seeded {accounts.Count} simulated accounts ({string.Join(", ", accounts.Select(a => PhoneNumber.Mask(a.Phone)))}) "
            + $"and 2 recipients (@{Recipients.AliceUsername}, {PhoneNumber.Mask(Recipients.BobPhone)}) through the simulator's control API");
        return accounts;
    }

    private async Task LogInAsync(IBus bus, HttpClient http, DemoAccount account, CancellationToken stop)
    {
        ChildProcess.Say(Source, $"{account.Id}: Authenticate {PhoneNumber.Mask(account.Phone)} → {ShardAddressing.QueueNameOf(account.Id)}");
        var since = DemoEvents.Mark();
        await bus.SendToShard(new Authenticate(Guid.NewGuid(), account.Id, account.Phone), cancellationToken: stop);
        await _events.WaitForLoginAsync(account.Id, AuthenticationState.AwaitingCode, since, StepDeadline, stop);
        var code = await http.GetFromJsonAsync<CodeView>("control/codes/" + Uri.EscapeDataString(account.Phone), stop)
            ?? throw new InvalidOperationException("The simulator has no login code for " + PhoneNumber.Mask(account.Phone));
        ChildProcess.Say(Source, $"{account.Id}: SubmitAuthenticationCode (read from GET /control/codes/…; never printed)");
        await bus.SendToShard(new SubmitAuthenticationCode(Guid.NewGuid(), account.Id, code.Code), cancellationToken: stop);
        await _events.WaitForStatusAsync(account.Id, AccountStatus.Online, since, StepDeadline, stop);
    }

    private async Task SendAsync(IBus bus, List<DemoAccount> accounts, CancellationToken stop)
    {
        var sends = new List<SendMessage>
        {
            new(Guid.NewGuid(), accounts[0].Id, Recipient.Username(Recipients.AliceUsername), "Hello Alice, this is TgFleet's demo."),
            new(Guid.NewGuid(), accounts[1].Id, Recipient.Phone(Recipients.BobPhone), "Hello Bob, this is TgFleet's demo."),
            new(Guid.NewGuid(), accounts[2].Id, Recipient.Username(Recipients.AliceUsername), "A second hello to Alice."),
        };
        var since = DemoEvents.Mark();
        foreach (var send in sends)
        {
            var to = send.To.Kind == RecipientKind.Phone ? PhoneNumber.Mask(send.To.Value) : "@" + send.To.Value;
            ChildProcess.Say(Source, $"{send.AccountId}: SendMessage to {to} (command {Short(send.CommandId)})");
            await bus.SendToShard(send, cancellationToken: stop);
        }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15) && sends.Any(s => !_events.Answered(s.CommandId, since)))
        {
            await Task.Delay(200, stop);
        }

        var unanswered = sends.Count(s => !_events.Answered(s.CommandId, since));
        if (unanswered > 0)
        {
            ChildProcess.Say(Source, $"{unanswered} of {sends.Count} SendMessage commands had no MessageSent, MessageFailed or CommandRejected within 15 s "
                + "(a worker without a SendMessage consumer moves them to the shard's _skipped queue)", ConsoleColor.Yellow);
        }
    }

    private async Task HandOverAsync(ChildProcess leaving, List<DemoAccount> accounts, ShardWatch shards, CancellationToken stop)
    {
        var owners = await shards.OwnersAsync(stop);
        var moving = accounts.Where(a => owners.GetValueOrDefault(ShardAddressing.ShardOf(a.Id)) == leaving.Name).ToList();
        ChildProcess.Say(Source, $"stopping {leaving.Name} with SIGTERM: it owns {owners.Values.Count(o => o == leaving.Name)} shards and "
            + $"{moving.Count} of the accounts ({string.Join(", ", moving.Select(a => a.Id))}); they move to the other workers without a new login");
        var since = DemoEvents.Mark();
        shards.ShowEveryMove = true;
        var exit = await leaving.StopAsync(TimeSpan.FromSeconds(60));
        ChildProcess.Say(Source, $"{leaving.Name} exited with {exit}");
        foreach (var account in moving)
        {
            await _events.WaitForStatusAsync(account.Id, AccountStatus.Online, since, StepDeadline, stop);
        }

        await UntilAsync(async () => (await shards.OwnersAsync(stop)).Count == ShardAddressing.DefaultShardCount, stop);
        var witness = await new HttpClient { BaseAddress = simulator }.GetStringAsync(new Uri("witness/summary", UriKind.Relative), stop);
        ChildProcess.Say(Source, $"every shard has an owner again; {moving.Count} accounts online on their new workers. Simulator witness: {witness}");
    }

    private static async Task<bool> AllReadyAsync(List<ChildProcess> workers, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var worker in workers)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(worker.BaseUri, "health/ready"), stop);
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > StepDeadline)
            {
                throw new TimeoutException($"the fleet did not get there within {StepDeadline.TotalSeconds:0} s");
            }

            await Task.Delay(250, stop);
        }
    }

    internal static string Short(Guid id) => id.ToString("N")[..8];

    private sealed record DemoAccount(string Id, string Phone);

    private sealed record CodeView(string Phone, string Code);

    private static class Recipients
    {
        public const string AliceUsername = "demoalice";
        public const string AlicePhone = "+447700900201";
        public const string BobPhone = "+447700900202";
    }
}
