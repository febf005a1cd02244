using Npgsql;

namespace TgFleet.Demo;

/// <summary>
/// Watches <c>shard_leases</c> (owner by shard) and says when shards change hands: a summary per
/// change while the fleet settles, and a line per moved shard once <see cref="ShowEveryMove"/> is set.
/// </summary>
internal sealed class ShardWatch(NpgsqlDataSource db, IReadOnlyList<ChildProcess> workers)
{
    private const string Source = "shards";
    private const string OwnersSql = "SELECT shard, owner FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()";

    /// <summary>Print one line per shard that moves (set before a worker is stopped).</summary>
    public volatile bool ShowEveryMove;

    /// <summary>Live owners (worker ids, which the demo sets to the process names) by shard.</summary>
    public async Task<Dictionary<int, string>> OwnersAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(OwnersSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var owners = new Dictionary<int, string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            owners[reader.GetInt32(0)] = reader.GetString(1);
        }

        return owners;
    }

    /// <summary>Polls the owners until cancelled, saying what moved.</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        var last = new Dictionary<int, string>();
        try
        {
            Summarise(last = await OwnersAsync(cancellationToken));
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = await OwnersAsync(cancellationToken);
                // A released shard has no owner for a moment: a move is from its last owner to its next.
                var moved = now.Where(o => last.TryGetValue(o.Key, out var before) && before != o.Value).OrderBy(o => o.Key).ToList();
                var gained = now.Keys.Count(k => !last.ContainsKey(k));
                foreach (var (shard, owner) in moved.Where(_ => ShowEveryMove))
                {
                    ChildProcess.Say(Source, $"tgfleet.shard.{shard:000}: {last[shard]} → {owner}", ConsoleColor.DarkCyan);
                }

                if ((moved.Count > 0 && !ShowEveryMove) || gained > 0)
                {
                    Summarise(now);
                }

                foreach (var (shard, owner) in now)
                {
                    last[shard] = owner;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The demo is stopping.
        }
        catch (NpgsqlException e)
        {
            ChildProcess.Say(Source, "stopped watching: " + e.Message, ConsoleColor.Red);
        }
    }

    private void Summarise(Dictionary<int, string> owners) =>
        ChildProcess.Say(Source, string.Join("  ", workers.Select(w => $"{w.Name} owns {owners.Values.Count(o => o == w.Name)}"))
            + $"  (of {owners.Count} shards with a live lease)", ConsoleColor.DarkCyan);
}
