namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>How a call to a peer ended, before looking at what it answered.</summary>
public enum PeerCallOutcome
{
    /// <summary>The peer answered with an HTTP status.</summary>
    Answered,

    /// <summary>The peer's port refused the connection: nothing listens there (the process is gone).</summary>
    Refused,

    /// <summary>No answer: the connection broke, or the call's timeout passed. The peer may or may
    /// not have acted on it.</summary>
    NoAnswer,
}
