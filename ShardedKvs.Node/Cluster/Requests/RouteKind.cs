namespace ShardedKvs.Node.Cluster.Requests;

public enum RouteKind
{
    /// <summary>This node owns the key: serve it from the local store.</summary>
    Local,

    /// <summary>This node owned the key in the committed view and hands it to another in the pending
    /// one: serve it here while it is here, wait while it is in flight, forward once it has moved.</summary>
    Handoff,

    /// <summary>Another node owns the key: forward once.</summary>
    Forward,

    /// <summary>This node cannot answer for the key (forming, idle, or a sender that knows no older view).</summary>
    Unavailable,
}
