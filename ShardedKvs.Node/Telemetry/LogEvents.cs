namespace ShardedKvs.Node.Telemetry;

/// <summary>
/// The event id of every log the node writes through [LoggerMessage], in one place so ids stay
/// unique and stable for log queries. One block of a hundred per room.
/// </summary>
public static class LogEvents
{
    // Cluster/Formation
    public const int FormationStarting = 100;
    public const int FormationFormed = 101;
    public const int FormationCoordinatorUnreachable = 102;

    // Cluster/ViewChange: the coordinator
    public const int ViewChangeStarting = 200;
    public const int ViewChangePrepared = 201;
    public const int ViewChangeAborted = 202;
    public const int ViewChangeMigrationFailed = 203;
    public const int ViewChangeFinishingStalled = 204;
    public const int ViewChangeMigrated = 205;
    public const int ViewChangeCommitted = 206;

    // Cluster/ViewChange: this node's part in a change
    public const int ParticipantPrepare = 300;
    public const int ParticipantMigrated = 301;
    public const int ParticipantCommitted = 302;

    // Cluster/ViewChange/Migration
    public const int MigrationBatchRetry = 400;
    public const int MigrationDiscardFailed = 401;

    // Cluster/Peers/Lanes
    public const int LaneBroken = 500;

    // Cluster/Replication: failover, takeovers, fills as this node runs them
    public const int ReplicationAdopted = 800;
    public const int TakeoverStarted = 801;
    public const int TakeoverDone = 802;
    public const int PeerSuspected = 803;
    public const int ExclusionProposed = 804;
    public const int ExclusionDecided = 805;
    public const int RejoinProposed = 806;
    public const int FillStarted = 807;
    public const int FillReported = 808;
    public const int FillFailed = 809;
    public const int ReplicaCleanupDone = 810;
    public const int ExcludedStartingOver = 811;
    public const int FillLeftoversDropped = 812;
    public const int ReplicaAppliedFromFormerMember = 813;
    public const int StoodStill = 814;
    public const int GatherUnanswered = 815;
    public const int ReplicaCleanupSkipped = 816;

    // Cluster/Replication/Fill: the copy itself
    public const int FillBatchRetry = 700;
    public const int FillLearnerFailed = 701;
    public const int FillCopied = 702;
    // Cluster/Consensus: the configuration log
    public const int ConfigDecided = 600;
    public const int ConfigProposalRefused = 601;
    public const int ConfigCatchUpFailed = 602;
    public const int ConfigObserverFailed = 603;
    public const int ConfigForced = 604;
}
