namespace ShardedKvs.Node.Cluster.ViewChange;

public enum StepStatus
{
    /// <summary>Done, or already done: every step is idempotent.</summary>
    Done,

    /// <summary>The request names a view that does not parse.</summary>
    Invalid,

    /// <summary>This node is in another change, or is not prepared for this one.</summary>
    Conflict,

    /// <summary>The step could not finish now (a target of the keys is down); it may be re-sent.</summary>
    Unavailable,
}
