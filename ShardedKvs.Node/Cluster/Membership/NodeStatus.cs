namespace ShardedKvs.Node.Cluster.Membership;

public enum NodeStatus
{
    /// <summary>In the initial view, waiting for every member to register.</summary>
    Forming,

    /// <summary>A member of the current or pending view: answers key requests.</summary>
    Serving,

    /// <summary>Outside the view: refuses key requests until a view change adds it.</summary>
    Idle,

    /// <summary>Replicated mode: this process's address is in the view, but the configuration names
    /// another incarnation of it (it restarted) or none yet: it asks to rejoin and is filled as a learner.</summary>
    Joining,

    /// <summary>Replicated mode: a majority declared this process dead (it was partitioned away). It
    /// serves nothing; only a new process (a new incarnation) brings the address back.</summary>
    Excluded,
}
