using MassTransit;
using TgFleet.Contracts.Campaigns;

namespace TgFleet.Scheduler.Campaigns;

/// <summary>
/// Executes the campaign commands and answers each with exactly one event (or, for GetCampaign, one
/// response). Every command is idempotent: a redelivery repeats the answer and changes nothing.
/// </summary>
public sealed class CampaignCommands(CampaignStore store, RecipientImport import, TimeProvider time, SchedulerMetrics metrics, ILogger<CampaignCommands> logger)
{
    /// <summary>How often an AddCampaignRecipients for a campaign not stored yet is retried (it may have overtaken its StartCampaign).</summary>
    public const int UnknownCampaignRetries = 5;

    /// <summary>Starts a campaign.</summary>
    public async Task StartAsync(ConsumeContext<StartCampaign> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        var now = time.GetUtcNow();
        if (CampaignValidation.Check(command, time) is { } problem)
        {
            await RejectAsync(context, command.CommandId, command.CampaignId, problem);
            return;
        }

        if (await store.FindAsync(command.CampaignId, context.CancellationToken) is null)
        {
            if (await store.UnknownSenderAsync(command.SenderAccountIds, context.CancellationToken) is { } unknown)
            {
                await RejectAsync(context, command.CommandId, command.CampaignId,
                    new Violation("SenderAccountIds", "ACCOUNT_UNKNOWN", $"The fleet has no account '{unknown}'."));
                return;
            }

            var traceParent = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } traced ? traced.Id : null;
            if (await store.CreateAsync(command, now, traceParent, context.CancellationToken))
            {
                Log.CampaignStarted(logger, command.CampaignId, command.SenderAccountIds.Count);
            }
        }

        var campaign = await store.FindAsync(command.CampaignId, context.CancellationToken);
        await context.Publish(new CampaignStarted(campaign!.StartCommandId, campaign.CampaignId, campaign.Name,
            (await store.SendersAsync(campaign.CampaignId, context.CancellationToken)).Count, now));
    }

    /// <summary>Imports a recipient batch.</summary>
    public async Task AddRecipientsAsync(ConsumeContext<AddCampaignRecipients> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        if (command.Recipients is not { Count: > 0 } recipients)
        {
            await RejectAsync(context, command.CommandId, command.CampaignId, new Violation("Recipients", "RECIPIENTS_EMPTY", "A batch needs 1 to 10,000 recipients."));
            return;
        }

        if (recipients.Count > CampaignValidation.MaxBatch)
        {
            await RejectAsync(context, command.CommandId, command.CampaignId,
                new Violation("Recipients", "TOO_MANY_RECIPIENTS", $"A batch holds at most {CampaignValidation.MaxBatch} recipients."));
            return;
        }

        if (command.BatchId == Guid.Empty)
        {
            await RejectAsync(context, command.CommandId, command.CampaignId, new Violation("BatchId", "FIELD_REQUIRED", "A batch id is required."));
            return;
        }

        var now = time.GetUtcNow();
        var (refusal, result) = await import.ImportAsync(command, now, context.CancellationToken);
        switch (refusal)
        {
            case ImportRefusal.CampaignUnknown when context.GetRetryAttempt() < UnknownCampaignRetries:
                throw new CampaignNotStoredException(command.CampaignId);
            case ImportRefusal.CampaignUnknown:
                await RejectAsync(context, command.CommandId, command.CampaignId, new Violation("CampaignId", "CAMPAIGN_UNKNOWN", "No such campaign; send StartCampaign first."));
                return;
            case ImportRefusal.CampaignEnded:
                await RejectAsync(context, command.CommandId, command.CampaignId, new Violation("CampaignId", "CAMPAIGN_ENDED", "The campaign has ended."));
                return;
        }

        Log.RecipientsImported(logger, command.CampaignId, command.BatchId, result!.Accepted, result.Duplicates, result.RejectedCount);
        metrics.Imported(result.Accepted, result.Duplicates, result.RejectedCount);
        await context.Publish(new CampaignRecipientsAdded(command.CommandId, command.CampaignId, command.BatchId, result.Accepted, result.Duplicates,
            result.Rejected, result.RejectedCount, now));
    }

    /// <summary>Pauses a campaign for the operator.</summary>
    public async Task PauseAsync(ConsumeContext<PauseCampaign> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        if (await ExistingAsync(context, command.CommandId, command.CampaignId) is not { } campaign)
        {
            return;
        }

        if (!await store.PauseAsync(command.CampaignId, context.CancellationToken))
        {
            await RejectAsync(context, command.CommandId, command.CampaignId, new Violation("CampaignId", "CAMPAIGN_ENDED", $"The campaign is {campaign.State}."));
            return;
        }

        Log.CampaignStateChanged(logger, command.CampaignId, CampaignStates.Paused, CampaignReasons.Operator);
        await context.Publish(new CampaignPaused(command.CommandId, command.CampaignId, CampaignReasons.Operator, time.GetUtcNow()));
    }

    /// <summary>Resumes a campaign the operator paused.</summary>
    public async Task ResumeAsync(ConsumeContext<ResumeCampaign> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        if (await ExistingAsync(context, command.CommandId, command.CampaignId) is not { } campaign)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (!await store.ResumeAsync(command.CampaignId, now, context.CancellationToken))
        {
            if (campaign.HasEnded)
            {
                await RejectAsync(context, command.CommandId, command.CampaignId, new Violation("CampaignId", "CAMPAIGN_ENDED", $"The campaign is {campaign.State}."));
                return;
            }

            if (campaign.State == CampaignStates.Paused)
            {
                await RejectAsync(context, command.CommandId, command.CampaignId,
                    new Violation("CampaignId", "CAMPAIGN_PAUSED_BY_SCHEDULER", $"Paused for {campaign.PausedReason}; it resumes by itself."));
                return;
            }

            // Not paused (any more): resuming is done; answer as the first time.
        }

        Log.CampaignStateChanged(logger, command.CampaignId, CampaignStates.Running, CampaignReasons.Operator);
        await context.Publish(new CampaignResumed(command.CommandId, command.CampaignId, CampaignReasons.Operator, now));
    }

    /// <summary>Cancels a campaign.</summary>
    public async Task CancelAsync(ConsumeContext<CancelCampaign> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        if (await ExistingAsync(context, command.CommandId, command.CampaignId) is not { } campaign)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (!await store.CancelAsync(command.CampaignId, now, context.CancellationToken) && campaign.State == CampaignStates.Completed)
        {
            await RejectAsync(context, command.CommandId, command.CampaignId, new Violation("CampaignId", "CAMPAIGN_ENDED", "The campaign has completed."));
            return;
        }

        var ended = (await store.FindAsync(command.CampaignId, context.CancellationToken))!;
        Log.CampaignCompleted(logger, ended.CampaignId, CampaignReasons.Cancelled, ended.Sent, ended.Failed, ended.Skipped, ended.Unknown, ended.Unsent);
        await context.Publish(new CampaignCompleted(command.CommandId, command.CampaignId, CampaignState.Cancelled, CampaignReasons.Cancelled, ended.Counts, now));
    }

    /// <summary>Answers how a campaign stands.</summary>
    public async Task GetAsync(ConsumeContext<GetCampaign> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.Message;
        var campaign = await store.FindAsync(query.CampaignId, context.CancellationToken);
        var now = time.GetUtcNow();
        if (campaign is null)
        {
            await context.RespondAsync(new CampaignRejected(query.CommandId, query.CampaignId, nameof(GetCampaign), "CampaignId", "CAMPAIGN_UNKNOWN", now));
            return;
        }

        var pacing = campaign.Pacing;
        var senders = (await store.SendersAsync(campaign.CampaignId, context.CancellationToken))
            .Select(s => new CampaignSender(s.AccountId, s.StateAt(now, pacing), s.SentToday(now, pacing))
            {
                NextSendAt = CampaignRow.Utc(s.NextSendAt) > now ? CampaignRow.Utc(s.NextSendAt) : null,
            }).ToList();
        var left = campaign.Pending + campaign.Dispatched;
        await context.RespondAsync(new CampaignStatus(campaign.CampaignId, campaign.Name, campaign.ContractState, campaign.Counts,
            await store.FailuresAsync(campaign.CampaignId, context.CancellationToken), senders, campaign.Rate, now)
        {
            PausedReason = campaign.State == CampaignStates.Paused ? campaign.PausedReason : null,
            EstimatedCompletion = campaign.Rate > 0 && left > 0 && !campaign.HasEnded ? now.AddSeconds(left / campaign.Rate) : null,
            Deadline = campaign.Deadline is { } d ? CampaignRow.Utc(d) : null,
        });
    }

    private async Task<CampaignRow?> ExistingAsync<T>(ConsumeContext<T> context, Guid commandId, Guid campaignId)
        where T : class
    {
        var campaign = await store.FindAsync(campaignId, context.CancellationToken);
        if (campaign is null)
        {
            await RejectAsync(context, commandId, campaignId, new Violation("CampaignId", "CAMPAIGN_UNKNOWN", "No such campaign."));
        }

        return campaign;
    }

    private async Task RejectAsync<T>(ConsumeContext<T> context, Guid commandId, Guid campaignId, Violation problem)
        where T : class
    {
        Log.CampaignRejected(logger, typeof(T).Name, campaignId, problem.Field, problem.Reason);
        await context.Publish(new CampaignRejected(commandId, campaignId, typeof(T).Name, problem.Field, problem.Reason, time.GetUtcNow()) { Detail = problem.Detail });
    }
}

/// <summary>An AddCampaignRecipients came before its campaign was stored; retried a few times before it is rejected.</summary>
public sealed class CampaignNotStoredException(Guid campaignId) : Exception($"Campaign {campaignId} is not stored (yet).");
