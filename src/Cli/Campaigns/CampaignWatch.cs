using MassTransit;
using Spectre.Console;
using Spectre.Console.Rendering;
using TgFleet.Contracts.Addressing;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Cli.Campaigns;

/// <summary>
/// Follows a campaign until it ends (or until cancelled): asks <see cref="GetCampaign"/> about once
/// a second and shows it, as ONE live screen at a terminal (<see cref="CampaignScreen.Render"/>), as
/// a plain line whenever it changed (at most every <see cref="PlainEvery"/>) otherwise.
/// </summary>
public sealed class CampaignWatch(FleetBus bus, CliOutput output)
{
    /// <summary>How often a plain line is written at most.</summary>
    public TimeSpan PlainEvery { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>More to show below the campaign on the live screen (the demo's fleet panel); read before each redraw.</summary>
    public Func<CancellationToken, Task<IRenderable[]>>? Extra { get; init; }

    /// <summary>Plain lines of the extra content (written with each plain campaign line).</summary>
    public Func<CancellationToken, Task<string?>>? ExtraLine { get; init; }

    /// <summary>
    /// Once the campaign has ended, the watch goes on until this is true (the demo: until a killed
    /// worker's shards have moved), so that the last screen shows the extra content settled.
    /// </summary>
    public Func<CancellationToken, Task<bool>>? Settled { get; init; }

    /// <summary>Asks how the campaign stands now.</summary>
    public Task<CampaignStatus> StatusAsync(Guid campaignId, CancellationToken cancellationToken) =>
        bus.AskCampaignAsync<GetCampaign, CampaignStatus>(new GetCampaign(CliContext.NewCommandId(), campaignId), cancellationToken);

    /// <summary>Shows the campaign until it has ended; returns its last status.</summary>
    public async Task<CampaignStatus> RunAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        var status = await StatusAsync(campaignId, cancellationToken);
        if (output.Plain || output.Json)
        {
            var last = string.Empty;
            var written = DateTimeOffset.MinValue;
            while (true)
            {
                var ended = CampaignScreen.HasEnded(status);
                var done = ended && await IsSettledAsync(cancellationToken);
                var line = CampaignScreen.Line(status);
                if (ExtraLine is not null && await ExtraLine(cancellationToken) is { } extra)
                {
                    line += " | " + extra;
                }

                var now = TimeProvider.System.GetUtcNow();
                if (!output.Json && line != last && (ended || now - written >= PlainEvery))
                {
                    output.Line(line);
                    (last, written) = (line, now);
                }

                if (done)
                {
                    return status;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                status = await StatusAsync(campaignId, cancellationToken);
            }
        }

        await output.Console.Live(await RenderAsync(status, cancellationToken)).AutoClear(false).StartAsync(async live =>
        {
            while (true)
            {
                // Settled first, then drawn: the last screen shows what settled.
                var done = CampaignScreen.HasEnded(status) && await IsSettledAsync(cancellationToken);
                live.UpdateTarget(await RenderAsync(status, cancellationToken));
                if (done)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                status = await StatusAsync(campaignId, cancellationToken);
            }
        });
        return status;
    }

    private async Task<bool> IsSettledAsync(CancellationToken cancellationToken) => Settled is null || await Settled(cancellationToken);

    private async Task<IRenderable> RenderAsync(CampaignStatus status, CancellationToken cancellationToken) =>
        CampaignScreen.Render(status, Extra is null ? [] : await Extra(cancellationToken));
}

/// <summary>Campaign requests on the fleet bus.</summary>
public static class CampaignRequests
{
    /// <summary>Asks the scheduler (<c>tgfleet.campaigns</c>); a <see cref="CampaignRejected"/> answer is thrown as its <see cref="CliException"/>.</summary>
    public static async Task<TAnswer> AskCampaignAsync<TQuery, TAnswer>(this FleetBus bus, TQuery query, CancellationToken cancellationToken)
        where TQuery : class
        where TAnswer : class
    {
        ArgumentNullException.ThrowIfNull(bus);
        var client = bus.Bus.CreateRequestClient<TQuery>(CampaignAddressing.Address, RequestTimeout.After(ms: (int)bus.Timeout.TotalMilliseconds));
        try
        {
            var response = await client.GetResponse<TAnswer, CampaignRejected>(query, cancellationToken);
            if (response.Is(out Response<CampaignRejected>? rejected))
            {
                throw Rejected(rejected.Message);
            }

            return response.Is(out Response<TAnswer>? answer) ? answer.Message : throw new CliException($"{typeof(TQuery).Name}: an answer of an unexpected type");
        }
        catch (RequestTimeoutException)
        {
            throw new CliException(ExitCodes.Timeout, $"no answer to {typeof(TQuery).Name} within {bus.Timeout.TotalSeconds:0.#} s (is a scheduler running?)");
        }
    }

    /// <summary>The failure for a <see cref="CampaignRejected"/>: the field and the reason.</summary>
    public static CliException Rejected(CampaignRejected rejected)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        return new CliException(ExitCodes.Rejected, $"{rejected.Command} rejected: {rejected.Field} {rejected.Reason}"
            + (string.IsNullOrWhiteSpace(rejected.Detail) ? string.Empty : $" ({rejected.Detail})"));
    }
}
