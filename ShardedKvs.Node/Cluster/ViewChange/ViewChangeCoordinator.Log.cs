using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>One structured line per phase of a view change, with its counts; never values or secrets.</summary>
public sealed partial class ViewChangeCoordinator
{
    [LoggerMessage(EventId = LogEvents.ViewChangeStarting, Level = LogLevel.Information, Message = "View change {FromEpoch} -> {ToEpoch}: adding {Added} and removing {Removed} nodes")]
    private static partial void LogStarting(ILogger logger, long fromEpoch, long toEpoch, int added, int removed);

    [LoggerMessage(EventId = LogEvents.ViewChangePrepared, Level = LogLevel.Information, Message = "View change to epoch {Epoch}: prepared {Nodes} nodes")]
    private static partial void LogPrepared(ILogger logger, long epoch, int nodes);

    [LoggerMessage(EventId = LogEvents.ViewChangeAborted, Level = LogLevel.Warning, Message = "View change to epoch {Epoch} aborted at prepare: {Node} {Reason}")]
    private static partial void LogAborted(ILogger logger, long epoch, string node, string reason);

    [LoggerMessage(EventId = LogEvents.ViewChangeMigrationFailed, Level = LogLevel.Warning, Message = "View change to epoch {Epoch}: migration from {Node} failed: {Reason}")]
    private static partial void LogMigrationFailed(ILogger logger, long epoch, string node, string reason);

    [LoggerMessage(EventId = LogEvents.ViewChangeFinishingStalled, Level = LogLevel.Warning, Message = "Finishing the stalled view change to epoch {Epoch} without the nodes that are down: {Dead}")]
    private static partial void LogFinishingStalled(ILogger logger, long epoch, string dead);

    [LoggerMessage(EventId = LogEvents.ViewChangeMigrated, Level = LogLevel.Information, Message = "View change to epoch {Epoch}: {Sources} sources finished moving keys")]
    private static partial void LogMigrated(ILogger logger, long epoch, int sources);

    [LoggerMessage(EventId = LogEvents.ViewChangeCommitted, Level = LogLevel.Information, Message = "View change committed epoch {Epoch}: {View}")]
    private static partial void LogCommitted(ILogger logger, long epoch, string view);
}
