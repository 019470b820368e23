namespace ShardedKvs.Node.Cluster.Membership;

public enum NodeStatus
{
    /// <summary>In the initial view, waiting for every member to register.</summary>
    Forming,

    /// <summary>A member of the current or pending view: answers key requests.</summary>
    Serving,

    /// <summary>Outside the view: refuses key requests until a view change adds it.</summary>
    Idle,
}
