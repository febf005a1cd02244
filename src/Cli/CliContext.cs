using System.CommandLine;
using System.Globalization;
using MassTransit;
using Npgsql;

namespace TgFleet.Cli;

/// <summary>
/// The options every tgfleet command takes, and what they resolve to. The connection comes from
/// <c>--rabbitmq</c> / <c>--database</c>, else from the environment variables the fleet's processes
/// read (<c>RabbitMq__Uri</c>, <c>Database__ConnectionString</c>, <c>Shards__Count</c>).
/// </summary>
public sealed class GlobalOptions
{
    public Option<string?> RabbitMq { get; } = new("--rabbitmq")
    {
        Description = "The fleet's RabbitMQ, amqp://user:password@host:port/vhost (default: $RabbitMq__Uri)",
        Recursive = true,
    };

    public Option<string?> Database { get; } = new("--database")
    {
        Description = "The fleet's PostgreSQL, an Npgsql connection string (default: $Database__ConnectionString); for 'shards' and 'workers'",
        Recursive = true,
    };

    public Option<int?> Shards { get; } = new("--shards")
    {
        Description = "The fleet's shard count (default: $Shards__Count, else 64)",
        Recursive = true,
    };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds to wait for each answer from the fleet",
        DefaultValueFactory = _ => 30,
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Results as JSON on stdout (for scripts)",
        Recursive = true,
    };

    public Option<bool> NoColor { get; } = new("--no-color")
    {
        Description = "Plain output without colour (also when stdout is not a terminal, or NO_COLOR is set)",
        Recursive = true,
    };

    /// <summary>Adds them to <paramref name="root"/>.</summary>
    public void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (Option option in new Option[] { RabbitMq, Database, Shards, Timeout, Json, NoColor })
        {
            root.Options.Add(option);
        }
    }

    /// <summary>
    /// Wraps a command's work: its <see cref="CliContext"/>, and every failure turned into one line
    /// on stderr and its exit code (<see cref="ExitCodes"/>).
    /// </summary>
    public Func<ParseResult, CancellationToken, Task<int>> Run(Func<CliContext, CancellationToken, Task<int>> work) =>
        async (parse, cancellationToken) =>
        {
            try
            {
                var context = Resolve(parse);
                return await work(context, cancellationToken);
            }
            catch (CliException failure)
            {
                CliOutput.Error(failure.Message);
                return failure.ExitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                CliOutput.Error("interrupted");
                return ExitCodes.Interrupted;
            }
#pragma warning disable CA1031 // the last resort: one line and exit code 1, never a stack trace for an operator
            catch (Exception e)
#pragma warning restore CA1031
            {
                CliOutput.Error($"failed: {e.GetType().Name}: {e.Message}");
                return ExitCodes.Failed;
            }
        };

    private CliContext Resolve(ParseResult parse)
    {
        var timeout = parse.GetValue(Timeout);
        if (timeout <= 0)
        {
            throw new CliException(ExitCodes.Usage, "--timeout must be a positive number of seconds");
        }

        var shards = parse.GetValue(Shards) ?? (int.TryParse(Environment.GetEnvironmentVariable("Shards__Count"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 64);
        if (shards is < 1 or > 1000)
        {
            throw new CliException(ExitCodes.Usage, "--shards must be from 1 to 1000");
        }

        return new CliContext(
            parse,
            parse.GetValue(RabbitMq) ?? Environment.GetEnvironmentVariable("RabbitMq__Uri"),
            parse.GetValue(Database) ?? Environment.GetEnvironmentVariable("Database__ConnectionString"),
            shards,
            TimeSpan.FromSeconds(timeout),
            CliOutput.Create(parse.GetValue(Json), parse.GetValue(NoColor)));
    }
}

/// <summary>What a command runs with: where the fleet is, how long to wait, where to write.</summary>
public sealed class CliContext(ParseResult parse, string? rabbitMq, string? database, int shards, TimeSpan timeout, CliOutput output)
{
    public int Shards { get; } = shards;

    /// <summary>The value of a command's option.</summary>
    public T? Get<T>(Option<T> option) => parse.GetValue(option);

    /// <summary>The value of a command's argument.</summary>
    public T Get<T>(Argument<T> argument) => parse.GetValue(argument)!;

    public TimeSpan Timeout { get; } = timeout;

    public CliOutput Output { get; } = output;

    /// <summary>Connects to the fleet's RabbitMQ, listening for <paramref name="events"/>.</summary>
    public Task<FleetBus> ConnectBusAsync(CancellationToken cancellationToken, params EventSubscription[] events)
    {
        if (string.IsNullOrWhiteSpace(rabbitMq))
        {
            throw new CliException(ExitCodes.Usage, "no RabbitMQ given: pass --rabbitmq amqp://user:password@host:port/vhost or set RabbitMq__Uri");
        }

        if (!Uri.TryCreate(rabbitMq, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new CliException(ExitCodes.Usage, "--rabbitmq must be an amqp:// or amqps:// URI");
        }

        return FleetBus.ConnectAsync(uri, Shards, Timeout, events, cancellationToken);
    }

    /// <summary>
    /// The fleet's PostgreSQL, checked with one round trip: unreachable (or refusing the login) is a
    /// <see cref="CliException"/> with <see cref="ExitCodes.DatabaseUnreachable"/>.
    /// </summary>
    public async Task<NpgsqlDataSource> OpenDatabaseAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(database))
        {
            throw new CliException(ExitCodes.Usage, "no database given: pass --database \"Host=…;Database=…;Username=…;Password=…\" or set Database__ConnectionString");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(database) { Timeout = (int)Math.Clamp(Timeout.TotalSeconds, 1, 60) };
        }
        catch (ArgumentException e)
        {
            throw new CliException(ExitCodes.Usage, "--database is not a valid connection string: " + e.Message);
        }

        var source = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using var command = source.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return source;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await source.DisposeAsync();
            throw new CliException(ExitCodes.DatabaseUnreachable, $"PostgreSQL at {builder.Host}:{builder.Port}/{builder.Database} is unreachable: {e.Message}");
        }
    }

    /// <summary>The bus address of <paramref name="accountId"/>'s shard.</summary>
    public Uri ShardAddress(string accountId) => Contracts.Addressing.ShardSending.ShardAddress(accountId, Shards);

    /// <summary>A new command id.</summary>
    public static Guid NewCommandId() => NewId.NextGuid();
}
