using System.Threading.Channels;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Cli;

/// <summary>
/// tgfleet's connection to the fleet's RabbitMQ: sends commands to their account's shard, asks
/// queries (request/response), and receives the events it subscribed to on a temporary queue of
/// its own (auto-deleted when it disconnects), in arrival order.
/// </summary>
public sealed class FleetBus : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly Channel<object> _events;

    private FleetBus(IBusControl bus, Channel<object> events, int shards, TimeSpan timeout)
    {
        _bus = bus;
        _events = events;
        Shards = shards;
        Timeout = timeout;
    }

    /// <summary>The fleet's shard count.</summary>
    public int Shards { get; }

    /// <summary>How long to wait for each answer.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The underlying MassTransit bus.</summary>
    public IBus Bus => _bus;

    /// <summary>
    /// Connects to <paramref name="uri"/>. A broker that cannot be reached, or refuses the user or
    /// the virtual host, is a <see cref="CliException"/> with <see cref="ExitCodes.BrokerUnreachable"/>.
    /// </summary>
    public static async Task<FleetBus> ConnectAsync(Uri uri, int shards, TimeSpan timeout, IReadOnlyList<EventSubscription> events,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(events);
        await ProbeAsync(uri, cancellationToken);
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(uri);
            if (events.Count > 0)
            {
                cfg.ReceiveEndpoint(new TemporaryEndpointDefinition("tgfleet-cli"), e =>
                {
                    foreach (var subscription in events)
                    {
                        subscription.Configure(e, channel.Writer);
                    }
                });
            }
        });
        using var start = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        start.CancelAfter(timeout);
        try
        {
            await bus.StartAsync(start.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await bus.StopAsync(CancellationToken.None);
            throw new CliException(ExitCodes.BrokerUnreachable, $"RabbitMQ at {Redacted(uri)}: the bus did not start: {Innermost(e).Message}");
        }

        return new FleetBus(bus, channel, shards, timeout);
    }

    /// <summary>Sends <paramref name="command"/> to its account's shard exchange.</summary>
    public Task SendAsync<T>(T command, CancellationToken cancellationToken)
        where T : class => _bus.SendToShard(command, Shards, cancellationToken);

    /// <summary>
    /// The next subscribed event that <paramref name="match"/> accepts (others are skipped);
    /// a <see cref="CliException"/> with <see cref="ExitCodes.Timeout"/> after <paramref name="timeout"/>
    /// (default <see cref="Timeout"/>) naming <paramref name="what"/>.
    /// </summary>
    public async Task<object> NextEventAsync(Func<object, bool> match, string what, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var limit = timeout ?? Timeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            while (true)
            {
                var next = await _events.Reader.ReadAsync(deadline.Token);
                if (match(next))
                {
                    return next;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw CliException.TimedOut(what, limit);
        }
    }

    /// <summary>Every subscribed event as it arrives, until cancelled.</summary>
    public IAsyncEnumerable<object> EventsAsync(CancellationToken cancellationToken) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>
    /// Asks <paramref name="query"/> at <paramref name="address"/>; the answer is <typeparamref name="TAnswer"/>,
    /// or <c>CommandRejected</c> (thrown as its <see cref="CliException"/>).
    /// </summary>
    public async Task<TAnswer> AskAsync<TQuery, TAnswer>(TQuery query, Uri address, CancellationToken cancellationToken)
        where TQuery : class
        where TAnswer : class
    {
        var client = _bus.CreateRequestClient<TQuery>(address, RequestTimeout.After(ms: (int)Timeout.TotalMilliseconds));
        try
        {
            var response = await client.GetResponse<TAnswer, Contracts.Accounts.CommandRejected>(query, cancellationToken);
            if (response.Is(out Response<Contracts.Accounts.CommandRejected>? rejected))
            {
                throw CliException.Rejected(rejected.Message);
            }

            return response.Is(out Response<TAnswer>? answer) ? answer.Message : throw new CliException($"{typeof(TQuery).Name}: an answer of an unexpected type");
        }
        catch (RequestTimeoutException)
        {
            throw CliException.TimedOut(typeof(TQuery).Name, Timeout);
        }
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync(TimeSpan.FromSeconds(10));

    /// <summary>The URI without its password, for messages.</summary>
    public static string Redacted(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var user = uri.UserInfo.Split(':')[0];
        return $"{uri.Scheme}://{(user.Length > 0 ? user + "@" : string.Empty)}{uri.Host}:{uri.Port}{uri.AbsolutePath}";
    }

    // One plain connection first: MassTransit retries an unreachable broker for ever, and its
    // start-up error does not say whether the host, the user or the virtual host is wrong.
    private static async Task ProbeAsync(Uri uri, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            Uri = uri,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
            AutomaticRecoveryEnabled = false,
            ClientProvidedName = "tgfleet-cli-probe",
        };
        try
        {
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            await connection.CloseAsync(cancellationToken);
        }
        catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or System.Net.Sockets.SocketException
                                      or TimeoutException)
        {
            throw new CliException(ExitCodes.BrokerUnreachable, $"RabbitMQ at {Redacted(uri)} is unreachable: {Innermost(e).Message}");
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}

/// <summary>An event type tgfleet listens for (bound to its temporary queue).</summary>
public sealed class EventSubscription
{
    private readonly Action<IReceiveEndpointConfigurator, ChannelWriter<object>> _configure;

    private EventSubscription(Action<IReceiveEndpointConfigurator, ChannelWriter<object>> configure) => _configure = configure;

    /// <summary>Listens for <typeparamref name="T"/>.</summary>
    public static EventSubscription Of<T>()
        where T : class =>
        new((endpoint, writer) => endpoint.Handler<T>(context => writer.WriteAsync(context.Message, context.CancellationToken).AsTask()));

    internal void Configure(IReceiveEndpointConfigurator endpoint, ChannelWriter<object> writer) => _configure(endpoint, writer);
}
