using Npgsql;
using Spectre.Console;
using Spectre.Console.Rendering;
using TgFleet.Contracts.Addressing;

namespace TgFleet.Demo;

/// <summary>
/// The fleet below the campaign on the demo's screen: each worker's state, the shards it holds
/// (live leases) and the senders on them, and what the demo did to the fleet (the kill).
/// </summary>
internal sealed class FleetPanel(NpgsqlDataSource db, IReadOnlyList<ChildProcess> workers, IReadOnlyList<DemoSender> senders)
{
    private const string OwnersSql = "SELECT shard, owner FROM shard_leases WHERE owner IS NOT NULL AND expires_at > now()";
    private readonly List<string> _notes = [];

    /// <summary>Adds a line to the panel (what the demo did).</summary>
    public void Note(string note)
    {
        lock (_notes)
        {
            _notes.Add(note);
        }
    }

    public async Task<IRenderable[]> RenderAsync(CancellationToken cancellationToken)
    {
        var owners = await OwnersAsync(cancellationToken);
        var table = new Table().Border(TableBorder.Rounded).Title("fleet").AddColumn("worker").AddColumn("state")
            .AddColumn(new TableColumn("shards").RightAligned()).AddColumn(new TableColumn("senders").RightAligned());
        foreach (var worker in workers)
        {
            table.AddRow(worker.Name, State(worker), owners.Values.Count(o => o == worker.Name).ToString(System.Globalization.CultureInfo.InvariantCulture),
                senders.Count(s => owners.GetValueOrDefault(ShardAddressing.ShardOf(s.Id)) == worker.Name).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        table.AddRow("[grey](no owner)[/]", string.Empty, (ShardAddressing.DefaultShardCount - owners.Count).ToString(System.Globalization.CultureInfo.InvariantCulture),
            senders.Count(s => !owners.ContainsKey(ShardAddressing.ShardOf(s.Id))).ToString(System.Globalization.CultureInfo.InvariantCulture));
        List<string> notes;
        lock (_notes)
        {
            notes = [.. _notes];
        }

        return [table, .. notes.Select(n => new Markup("[yellow]" + Markup.Escape(n) + "[/]"))];
    }

    /// <summary>The same as one plain line.</summary>
    public async Task<string?> LineAsync(CancellationToken cancellationToken)
    {
        var owners = await OwnersAsync(cancellationToken);
        return string.Join(' ', workers.Select(w => $"{w.Name}({(w.Killed ? "killed" : w.HasExited ? "exited" : "up")})={owners.Values.Count(o => o == w.Name)} shards"))
            + $" unowned={ShardAddressing.DefaultShardCount - owners.Count}";
    }

    /// <summary>True when every shard has a live lease held by a worker that is still up (a killed worker's shards have moved).</summary>
    public async Task<bool> SettledAsync(CancellationToken cancellationToken)
    {
        var owners = await OwnersAsync(cancellationToken);
        return owners.Count == ShardAddressing.DefaultShardCount
            && owners.Values.All(o => workers.Any(w => w.Name == o && !w.Killed && !w.HasExited));
    }

    private static string State(ChildProcess worker) =>
        worker.Killed ? "[red]killed (-9)[/]" : worker.HasExited ? "[red]exited[/]" : "[green]up[/]";

    private async Task<Dictionary<int, string>> OwnersAsync(CancellationToken cancellationToken)
    {
        var owners = new Dictionary<int, string>();
        try
        {
            await using var command = db.CreateCommand(OwnersSql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                owners[reader.GetInt32(0)] = reader.GetString(1);
            }
        }
        catch (NpgsqlException)
        {
            // Shown as no owners for this redraw.
        }

        return owners;
    }
}
