namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>What a key's previous primary said when a node taking its keys over asked whether it has
/// drained (adopted the epoch that moved them and finished every write it began before it).</summary>
public enum DrainReply
{
    /// <summary>Not asked: it can no longer write (excluded, or another process holds its address).</summary>
    NotAsked,

    /// <summary>It has drained: nothing it does can go unordered with what the new primary does.</summary>
    Drained,

    /// <summary>It answered and is still finishing writes it began as primary.</summary>
    NotYet,

    /// <summary>No answer in time: it is dead, cut off or starved.</summary>
    NoAnswer,

    /// <summary>Its address refused the connection: no process serves there, so it writes no more.</summary>
    Gone,
}
