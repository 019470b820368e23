namespace ShardedKvs.Node.Cluster.ViewChange;

public enum ViewChangeStatus
{
    /// <summary>The view is committed everywhere (or was already the current one).</summary>
    Done,

    /// <summary>Another view change is running or pending.</summary>
    Conflict,

    /// <summary>A node that the change needs could not be reached, or this node cannot coordinate.</summary>
    Unavailable,
}
