using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Telemetry;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>One line per decision this node adopts (in epoch order), and why a proposal did not apply.</summary>
public sealed partial class ConfigLog
{
    [LoggerMessage(EventId = LogEvents.ConfigDecided, Level = LogLevel.Information, Message = "Decided epoch {Epoch}: {Config}")]
    private static partial void LogDecided(ILogger logger, long epoch, ClusterConfig config);

    [LoggerMessage(EventId = LogEvents.ConfigProposalRefused, Level = LogLevel.Information, Message = "Proposal {Change} does not apply to epoch {Epoch}: {Refusal}")]
    private static partial void LogRefused(ILogger logger, ConfigChange change, long epoch, string refusal);

    [LoggerMessage(EventId = LogEvents.ConfigObserverFailed, Level = LogLevel.Error, Message = "{Observer} failed on the decision of epoch {Epoch}")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string observer, long epoch);
}
