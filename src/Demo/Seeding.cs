using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using TgFleet.Contracts.Accounts;

namespace TgFleet.Demo;

/// <summary>
/// The demo's cast in the simulator: sender accounts (one hits FLOOD_WAIT, one PEER_FLOOD) and
/// recipients, most of them ordinary, some who reply, some who reply STOP, some privacy-restricted,
/// some who opted out before the campaign, and some usernames nobody has. Deterministic by index.
/// </summary>
internal sealed class Seeding(int senders, int recipients, int floodWaitSeconds)
{
    /// <summary>The sender that Telegram (the simulator) puts in FLOOD_WAIT once the campaign sends (<see cref="FloodAsync"/>).</summary>
    public const int FloodWaitSender = 1;

    /// <summary>The sender that gets PEER_FLOOD after a few sends.</summary>
    public const int PeerFloodSender = 2;

    public IReadOnlyList<DemoSender> Senders { get; } = Enumerable.Range(1, senders)
        // Ofcom's drama range (+44 7700 900xxx): numbers that belong to nobody.
        .Select(i => new DemoSender($"demo-sender-{i:00}", "+447700900" + i.ToString("000", CultureInfo.InvariantCulture), i))
        .ToList();

    public int Recipients => recipients;

    /// <summary>What recipient <paramref name="i"/> (from 1) is.</summary>
    public static RecipientKind KindOf(int i) => (i % 50) switch
    {
        0 => RecipientKind.Unknown,
        1 or 2 => RecipientKind.PrivacyRestricted,
        3 => RecipientKind.OptedOutBefore,
        4 or 5 or 6 => RecipientKind.Replies,
        7 => RecipientKind.RepliesStop,
        _ => RecipientKind.Ordinary,
    };

    public static string Username(int i) => "r" + i.ToString("00000", CultureInfo.InvariantCulture);

    /// <summary>Seeds the senders and the recipients (every kind but <see cref="RecipientKind.Unknown"/>) and the senders' faults.</summary>
    public async Task SeedAsync(HttpClient sim, CancellationToken cancellationToken)
    {
        var accounts = await sim.PostAsJsonAsync("control/accounts", Senders.Select(s => new { phone = s.Phone, firstName = "Demo", lastName = s.Id }), cancellationToken);
        accounts.EnsureSuccessStatusCode();
        var users = Enumerable.Range(1, recipients).Where(i => KindOf(i) != RecipientKind.Unknown).Select(i => new
        {
            phone = "+4479" + i.ToString("00000000", CultureInfo.InvariantCulture),
            firstName = "Recipient",
            lastName = i.ToString(CultureInfo.InvariantCulture),
            username = Username(i),
            privacyRestricted = KindOf(i) == RecipientKind.PrivacyRestricted,
            replies = KindOf(i) switch
            {
                RecipientKind.Replies => new[] { new { text = "Thanks, got it!", delayMs = 300 } },
                RecipientKind.RepliesStop => new[] { new { text = "STOP", delayMs = 300 } },
                _ => null,
            },
        });
        foreach (var chunk in users.Chunk(2000))
        {
            (await sim.PostAsJsonAsync("control/users", chunk, cancellationToken)).EnsureSuccessStatusCode();
        }

        if (Senders.Count > PeerFloodSender)
        {
            await FaultAsync(sim, Senders[PeerFloodSender - 1], new { peerFloodAfter = 5 }, cancellationToken);
        }
    }

    /// <summary>
    /// Telegram (the simulator) tells the FLOOD_WAIT sender to wait, from now on, once. By default just
    /// longer than TDLib waits out by itself (60 s): its sends fail with retry-after, the sender
    /// pauses, and the scheduler sends those deliveries again once the wait is over. A short wait
    /// (<c>--flood-wait</c>) is waited out by TDLib before it sends.
    /// </summary>
    public async Task FloodAsync(HttpClient sim, CancellationToken cancellationToken)
    {
        if (Senders.Count > FloodWaitSender)
        {
            await FaultAsync(sim, Senders[FloodWaitSender - 1], new { floodWaitSeconds }, cancellationToken);
        }
    }

    /// <summary>The recipients who opted out before the campaign: each tells a sender STOP (the fleet's opt-out list learns it from the incoming message).</summary>
    public async Task<int> OptOutAsync(HttpClient sim, CancellationToken cancellationToken)
    {
        var to = Senders[^1];
        var count = 0;
        foreach (var i in Enumerable.Range(1, recipients).Where(i => KindOf(i) == RecipientKind.OptedOutBefore))
        {
            (await sim.PostAsJsonAsync("control/messages", new { from = "@" + Username(i), to = to.Phone, text = "STOP" }, cancellationToken)).EnsureSuccessStatusCode();
            count++;
        }

        return count;
    }

    /// <summary>The campaign's recipients as CSV: <c>recipient,name</c>.</summary>
    public string Csv()
    {
        var csv = new StringBuilder("recipient,name\n");
        for (var i = 1; i <= recipients; i++)
        {
            csv.Append('@').Append(Username(i)).Append(",Recipient ").Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return csv.ToString();
    }

    private static async Task FaultAsync(HttpClient sim, DemoSender sender, object faults, CancellationToken cancellationToken) =>
        (await sim.PutAsJsonAsync("control/accounts/" + Uri.EscapeDataString(sender.Phone) + "/faults", faults, cancellationToken)).EnsureSuccessStatusCode();

    public override string ToString() =>
        $"{Senders.Count} senders ({PhoneNumber.Mask(Senders[0].Phone)} …; {Senders[0].Id} hits FLOOD_WAIT ({floodWaitSeconds} s), "
        + (Senders.Count > PeerFloodSender ? $"{Senders[PeerFloodSender - 1].Id} PEER_FLOOD" : "no PEER_FLOOD sender") + $") and {recipients} recipients "
        + $"({Count(RecipientKind.Replies)} reply, {Count(RecipientKind.RepliesStop)} reply STOP, {Count(RecipientKind.PrivacyRestricted)} privacy-restricted, "
        + $"{Count(RecipientKind.OptedOutBefore)} opted out before, {Count(RecipientKind.Unknown)} unknown usernames)";

    /// <summary>How many of the recipients are of <paramref name="kind"/>.</summary>
    public int Count(RecipientKind kind) => Enumerable.Range(1, recipients).Count(i => KindOf(i) == kind);
}

internal enum RecipientKind
{
    Ordinary,
    Replies,
    RepliesStop,
    PrivacyRestricted,
    OptedOutBefore,
    Unknown,
}

internal sealed record DemoSender(string Id, string Phone, int Number);
