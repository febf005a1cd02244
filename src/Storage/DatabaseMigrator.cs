using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TgFleet.Storage;

/// <summary>
/// Applies the ordered SQL migrations embedded in this assembly (Migrations/NNNN_name.sql) with
/// DbUp. Every process runs it at start and the test harness runs it on its template database;
/// a PostgreSQL advisory lock makes concurrent starts take turns.
/// </summary>
public static partial class DatabaseMigrator
{
    // Any constant, shared by every TgFleet process: "TGFL" in ASCII.
    private const long MigrationLockKey = 0x5447464C;

    /// <summary>The migration scripts in the order they are applied.</summary>
    public static IReadOnlyList<string> ScriptNames { get; } = typeof(DatabaseMigrator).Assembly
        .GetManifestResourceNames()
        .Where(name => name.EndsWith(".sql", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Brings the database at <paramref name="connectionString"/> up to date.</summary>
    /// <returns>The scripts applied now (empty when it was already current).</returns>
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, name => name.EndsWith(".sql", StringComparison.Ordinal))
                .WithTransactionPerScript()
                .LogTo(new DbUpLog(logger))
                .Build();
            var result = await Task.Run(upgrader.PerformUpgrade, cancellationToken);
            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Database migration failed at {result.ErrorScript?.Name ?? "an unknown script"}: {result.Error.Message}", result.Error);
            }

            var applied = result.Scripts.Select(s => s.Name).ToArray();
            Log.Migrated(logger, applied.Length, ScriptNames.Count);
            return applied;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private sealed class DbUpLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => Write(LogLevel.Trace, format, args);

        public void LogDebug(string format, params object[] args) => Write(LogLevel.Debug, format, args);

        // DbUp narrates every script at information level; that is debug detail for us.
        public void LogInformation(string format, params object[] args) => Write(LogLevel.Debug, format, args);

        public void LogWarning(string format, params object[] args) => Write(LogLevel.Warning, format, args);

        public void LogError(string format, params object[] args) => Write(LogLevel.Error, format, args);

        public void LogError(Exception ex, string format, params object[] args) => Write(LogLevel.Error, format + ": " + ex.Message, args);

        private void Write(LogLevel level, string format, object[] args)
        {
            if (logger.IsEnabled(level))
            {
#pragma warning disable CA1873 // The format is evaluated only when the level is enabled (checked above).
                Log.DbUp(logger, level, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
#pragma warning restore CA1873
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2900, Level = LogLevel.Information, Message = "Database schema is current: applied {Applied} of {Total} migrations now")]
        internal static partial void Migrated(ILogger logger, int applied, int total);

        [LoggerMessage(EventId = 2901, Message = "DbUp: {Text}")]
        internal static partial void DbUp(ILogger logger, LogLevel level, string text);
    }
}
