using System.Security.Cryptography;
using nietras.SeparatedValues;
using TgFleet.Cli.Messaging;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Cli.Campaigns;

/// <summary>
/// Streams a recipients CSV (Sep: the separator is detected from the header) into
/// <see cref="AddCampaignRecipients"/> batches of at most <see cref="BatchSize"/>, a few in flight at
/// once, each waited for by its <see cref="CampaignRecipientsAdded"/>. The column <c>recipient</c>
/// (else the first) holds <c>@username</c>, <c>+phone</c>, a user id or <c>chat:ID</c>; every other
/// column is a template variable of that name. Batch ids are derived from the campaign id and the
/// batch's position, so importing the same file again into the same campaign adds nothing twice.
/// </summary>
public sealed class RecipientImport(FleetBus bus)
{
    /// <summary>Recipients per batch (the contract's maximum).</summary>
    public const int BatchSize = 10_000;

    /// <summary>Batches sent before waiting for the first answer.</summary>
    public const int InFlight = 4;

    /// <summary>The events an import waits on.</summary>
    public static EventSubscription[] Events { get; } = [EventSubscription.Of<CampaignRecipientsAdded>(), EventSubscription.Of<CampaignRejected>()];

    /// <summary>Imports <paramref name="csv"/> into <paramref name="campaignId"/>; <paramref name="progress"/> hears the running totals after each batch.</summary>
    public async Task<ImportTotals> RunAsync(Guid campaignId, TextReader csv, Action<ImportTotals> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(progress);
        var totals = new ImportTotals();
        var waiting = new Dictionary<Guid, int>(); // batch id → recipients in it
        var batch = new List<CampaignRecipient>(BatchSize);
        var index = 0;
        using var reader = Sep.Reader(o => o with { HasHeader = true, Unescape = true, DisableColCountCheck = true }).From(csv);
        var names = reader.Header.ColNames;
        var recipientColumn = Math.Max(0, names.ToList().FindIndex(n => n.Trim().Equals("recipient", StringComparison.OrdinalIgnoreCase)));
        var line = 1;
        foreach (var row in reader)
        {
            line++;
            var text = row[recipientColumn].ToString().Trim();
            if (text.Length == 0)
            {
                continue;
            }

            Contracts.Messaging.Recipient to;
            try
            {
                to = SendCommand.ParseRecipient(text);
            }
            catch (CliException)
            {
                if (++totals.InvalidCount <= 10)
                {
                    totals.Invalid.Add($"line {line}: '{text}' is not @username, +phone, a user id or chat:ID");
                }

                continue;
            }

            Dictionary<string, string>? variables = null;
            for (var i = 0; i < row.ColCount && i < names.Count; i++)
            {
                if (i != recipientColumn && names[i].Trim().Length > 0)
                {
                    (variables ??= [])[names[i].Trim()] = row[i].ToString();
                }
            }

            batch.Add(new CampaignRecipient(to) { Variables = variables });
            totals.Read++;
            if (batch.Count == BatchSize)
            {
                await SendAsync(campaignId, index++, batch, waiting, cancellationToken);
                batch = new List<CampaignRecipient>(BatchSize);
                while (waiting.Count >= InFlight)
                {
                    await AnswerAsync(campaignId, waiting, totals, progress, cancellationToken);
                }
            }
        }

        if (batch.Count > 0)
        {
            await SendAsync(campaignId, index, batch, waiting, cancellationToken);
        }

        while (waiting.Count > 0)
        {
            await AnswerAsync(campaignId, waiting, totals, progress, cancellationToken);
        }

        return totals;
    }

    /// <summary>The id of batch <paramref name="index"/> of <paramref name="campaignId"/>: the same every time.</summary>
    public static Guid BatchId(Guid campaignId, int index)
    {
        Span<byte> input = stackalloc byte[20];
        campaignId.TryWriteBytes(input);
        BitConverter.TryWriteBytes(input[16..], index);
        return new Guid(SHA256.HashData(input)[..16]);
    }

    private async Task SendAsync(Guid campaignId, int index, List<CampaignRecipient> recipients, Dictionary<Guid, int> waiting, CancellationToken cancellationToken)
    {
        var command = new AddCampaignRecipients(CliContext.NewCommandId(), campaignId, BatchId(campaignId, index), recipients);
        waiting[command.BatchId] = recipients.Count;
        var endpoint = await bus.Bus.GetSendEndpoint(CampaignAddressing.Address);
        await endpoint.Send(command, cancellationToken);
    }

    private async Task AnswerAsync(Guid campaignId, Dictionary<Guid, int> waiting, ImportTotals totals, Action<ImportTotals> progress, CancellationToken cancellationToken)
    {
        var answer = await bus.NextEventAsync(e => e switch
        {
            CampaignRecipientsAdded a => a.CampaignId == campaignId && waiting.ContainsKey(a.BatchId),
            CampaignRejected r => r.CampaignId == campaignId && r.Command == nameof(AddCampaignRecipients),
            _ => false,
        }, nameof(AddCampaignRecipients), cancellationToken);
        if (answer is CampaignRejected rejected)
        {
            throw CampaignRequests.Rejected(rejected);
        }

        var added = (CampaignRecipientsAdded)answer;
        waiting.Remove(added.BatchId);
        totals.Batches++;
        totals.Accepted += added.Accepted;
        totals.Duplicates += added.Duplicates;
        totals.Rejected += added.RejectedCount;
        totals.Reasons.AddRange(added.Rejected.Take(Math.Max(0, 10 - totals.Reasons.Count)).Select(r => $"{r.Field} {r.Reason}"));
        progress(totals);
    }
}

/// <summary>What an import did so far.</summary>
public sealed class ImportTotals
{
    /// <summary>Rows read with a well-formed recipient.</summary>
    public long Read { get; set; }

    /// <summary>Batches answered.</summary>
    public int Batches { get; set; }

    /// <summary>Recipients the scheduler accepted.</summary>
    public long Accepted { get; set; }

    /// <summary>Recipients dropped as already in the campaign.</summary>
    public long Duplicates { get; set; }

    /// <summary>Recipients the scheduler refused.</summary>
    public long Rejected { get; set; }

    /// <summary>The first refusals' field and reason.</summary>
    public List<string> Reasons { get; } = [];

    /// <summary>The first rows tgfleet could not read as a recipient (not sent).</summary>
    public List<string> Invalid { get; } = [];

    /// <summary>How many rows tgfleet could not read as a recipient.</summary>
    public long InvalidCount { get; set; }

    /// <summary>Answered recipients.</summary>
    public long Answered => Accepted + Duplicates + Rejected;
}
