namespace ShardedKvs.Node.Cluster.Membership;

public enum PrepareOutcome
{
    Prepared,
    AlreadyPrepared,
    AlreadyCommitted,

    /// <summary>Another view change is pending on this node.</summary>
    Conflict,

    /// <summary>This node has already committed a newer view than the change starts from.</summary>
    Stale,
}
