using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;
using TgFleet.Contracts.Addressing;
using TgFleet.Hosting;
using TgFleet.Scheduler.Campaigns;
using TgFleet.Scheduler.Cleanup;
using TgFleet.Scheduler.Dispatch;
using TgFleet.Scheduler.Jobs;

namespace TgFleet.Scheduler;

/// <summary>The scheduler's capabilities, one <c>AddXxx</c> each.</summary>
public static class SchedulerComposition
{
    /// <summary>The queue the scheduler's outcome consumers read (bound to MessageSent, MessageFailed, CommandRejected).</summary>
    public const string OutcomesQueue = "tgfleet.scheduler.outcomes";

    /// <summary>The Quartz scheduler's name: every replica of one fleet shares it (and its rows).</summary>
    public const string QuartzName = "tgfleet-scheduler";

    /// <summary>Campaign storage, commands on <c>tgfleet.campaigns</c>, dispatch, and outcomes on their own queue.</summary>
    public static WebApplicationBuilder AddCampaigns(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<CampaignOptions>().BindConfiguration(CampaignOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SchedulerMetrics>();
        builder.Services.AddSingleton<CampaignStore>();
        builder.Services.AddSingleton<RecipientImport>();
        builder.Services.AddSingleton<CampaignCommands>();
        builder.Services.AddSingleton<CampaignDispatcher>();
        builder.Services.AddSingleton<OutcomeRecorder>();
        builder.Services.AddSingleton<CampaignLifecycle>();
        builder.AddFleetBus(bus =>
        {
            foreach (var consumer in CommandConsumers.Concat(OutcomeConsumers))
            {
                bus.AddConsumer(consumer).ExcludeFromConfigureEndpoints();
            }
        }, (context, cfg) =>
        {
            cfg.ReceiveEndpoint(CampaignAddressing.QueueName, endpoint =>
            {
                endpoint.SetQuorumQueue();
                // Commands come to the queue's own exchange only (CampaignAddressing.Address).
                endpoint.ConfigureConsumeTopology = false;
                // Recipient batches are large messages: none prefetched beyond those being imported (docs/campaigns.md, "Memory and CPU").
                endpoint.PrefetchCount = 4;
                endpoint.ConcurrentMessageLimit = 4;
                // An AddCampaignRecipients may overtake its StartCampaign: it is tried again a few times.
                endpoint.UseMessageRetry(r =>
                {
                    r.Handle<CampaignNotStoredException>();
                    r.Intervals(200, 500, 1000, 2000, 4000);
                });
                foreach (var consumer in CommandConsumers)
                {
                    context.ConfigureConsumer(consumer, endpoint);
                }
            });
            cfg.ReceiveEndpoint(OutcomesQueue, endpoint =>
            {
                endpoint.SetQuorumQueue();
                endpoint.PrefetchCount = 1000;
                endpoint.UseMessageRetry(r =>
                {
                    r.Handle<Npgsql.PostgresException>(e => e.SqlState is "40P01" or "40001");
                    r.Intervals(50, 200, 500, 1000);
                });
                // Outcomes are applied in batches (one transaction each), one batch of a kind at a time.
                static void Batches(BatchOptions o) => o.SetMessageLimit(300).SetTimeLimit(TimeSpan.FromMilliseconds(50)).SetConcurrencyLimit(1);
                endpoint.ConfigureConsumer<MessageSentBatchConsumer>(context, c => c.Options<BatchOptions>(Batches));
                endpoint.ConfigureConsumer<MessageFailedBatchConsumer>(context, c => c.Options<BatchOptions>(Batches));
                endpoint.ConfigureConsumer<SendRejectedBatchConsumer>(context, c => c.Options<BatchOptions>(Batches));
            });
        });
        return builder;
    }

    /// <summary>
    /// Quartz, clustered on the fleet database (AdoJobStore, tables from 0011_quartz.sql, JSON job
    /// data), with the few recurring jobs: dispatch, resend, lifecycle, cleanup. Each misfire instruction is
    /// chosen: a missed firing is skipped (the next one claims whatever is due; nothing depends on
    /// Quartz firing exactly once).
    /// </summary>
    public static WebApplicationBuilder AddSchedulerJobs(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var campaigns = builder.Configuration.GetSection(CampaignOptions.Section).Get<CampaignOptions>() ?? new CampaignOptions();
        var cleanup = builder.Configuration.GetSection(CleanupOptions.Section).Get<CleanupOptions>() ?? new CleanupOptions();
        var connectionString = builder.Configuration[$"{DatabaseOptions.Section}:ConnectionString"] ?? string.Empty;
        builder.Services.AddOptions<CleanupOptions>().BindConfiguration(CleanupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SessionCleanup>();
        builder.Services.AddSingleton<JobMetricsListener>();
        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s => s.InstanceName = QuartzName);
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.UseClustering(c =>
                {
                    c.CheckinInterval = TimeSpan.FromSeconds(5);
                    c.CheckinMisfireThreshold = TimeSpan.FromSeconds(15);
                });
                store.UseSystemTextJsonSerializer();
            });
            q.AddJobListener(sp => sp.GetRequiredService<JobMetricsListener>());
            q.AddTriggerListener(sp => sp.GetRequiredService<JobMetricsListener>());
            Recurring<DispatchCampaignsJob>(q, campaigns.DispatchInterval);
            Recurring<ResendDeliveriesJob>(q, TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, campaigns.ResendAfter.Ticks / 4)));
            Recurring<AdvanceCampaignsJob>(q, campaigns.AdvanceInterval);
            Recurring<CleanUpSessionsJob>(q, cleanup.Interval);
        });
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return builder;
    }

    private static void Recurring<TJob>(IQuartzBuilder q, TimeSpan interval)
        where TJob : IJob
    {
        var name = typeof(TJob).Name;
        q.ScheduleJob<TJob>(
            trigger => trigger.WithIdentity(name).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)),
            job => job.WithIdentity(name).StoreDurably());
    }

    private static readonly Type[] CommandConsumers =
    [
        typeof(StartCampaignConsumer), typeof(AddCampaignRecipientsConsumer), typeof(PauseCampaignConsumer), typeof(ResumeCampaignConsumer),
        typeof(CancelCampaignConsumer), typeof(GetCampaignConsumer),
    ];

    private static readonly Type[] OutcomeConsumers = [typeof(MessageSentBatchConsumer), typeof(MessageFailedBatchConsumer), typeof(SendRejectedBatchConsumer)];
}
