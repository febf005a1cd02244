namespace TgFleet.Worker;

/// <summary>Log event ids, a range per area (after npgsql's NpgsqlEventId).</summary>
internal static class EventIds
{
    // 1000s: shards and leases.
    public const int ShardAcquired = 1000;
    public const int ShardReleased = 1001;
    public const int ShardLost = 1002;
    public const int ShardFenced = 1003;
    public const int LeaseRenewalFailed = 1004;
    public const int ShardStartFailed = 1005;
    public const int Rebalancing = 1006;
    public const int Draining = 1007;
    public const int TopologyDeclared = 1008;
    public const int TakeOverWaiting = 1020;
    public const int TakenOver = 1021;
    public const int LeaseLapsed = 1022;
    public const int GateStarted = 1023;
    public const int GateExited = 1024;
    public const int ResumedTooLate = 1025;

    // 3000s: accounts and logins.
    public const int AuthenticationChanged = 3000;
    public const int LoginStepFailed = 3001;
    public const int LoginStepTimedOut = 3002;
    public const int Checkpointed = 3003;
    public const int CheckpointStale = 3004;
    public const int CheckpointFailed = 3005;
    public const int RekeyFailed = 3006;
    public const int UpdateLoopFailed = 3007;
    public const int ObserverFailed = 3008;
    public const int CommandRedelivered = 3009;
    public const int CommandRejected = 3010;
    public const int RestoreFailed = 3011;
    public const int CommandFailed = 3012;
    public const int GetMeFailed = 3013;
    public const int LogOutFailed = 3014;
    public const int AccountRemoved = 3015;
    public const int PeriodicCheckpoint = 3016;
    public const int PeriodicCheckpointFailed = 3017;
    public const int CommandRetried = 3018;
    public const int CommandUnreadable = 3019;
    public const int CommandAnswerFailed = 3020;
    public const int CommandResumed = 3021;

    // 4000s: queries (request/response, read-only).
    public const int QueryTdlibFailed = 4001;
    public const int QueryTimedOut = 4002;

    // 5000s: sending and incoming messages.
    public const int FloodWait = 5000;
    public const int PeerFlood = 5001;
    public const int IncomingFailed = 5002;
    public const int SendOutcomeReplayed = 5003;
    public const int SendOutcomeUnknown = 5004;

    // 5010s: sends that finish asynchronously (Messaging/SendOutcomes.cs).
    public const int SendJournalRetried = 5010;
    public const int SendPublishRetried = 5011;
    public const int SendLeftForNextOwner = 5012;
    public const int SendsResolving = 5013;
    public const int SendResolved = 5014;
    public const int SendResolveFailed = 5015;
    public const int SendConfirmFailed = 5016;
    public const int SendNotRecorded = 5017;
    public const int SendHandOverLeft = 5018;
    public const int SendInFlight = 5019;
    public const int SendsLookedFor = 5020;

    // 6000s: proxies.
    public const int ProxyChanged = 6000;
    public const int ProxyHealthChanged = 6001;
    public const int NoHealthyProxy = 6002;
    public const int ProxyFailoverFailed = 6003;
}
