namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>A replica's answer to one replicated write, as the primary sees it.</summary>
/// <param name="ReplicaEpoch">The configuration epoch the replica is at (0 when it did not answer).</param>
public readonly record struct ReplicaAck(ReplicaAckKind Kind, long ReplicaEpoch = 0)
{
    /// <summary>The replica holds this write or a newer one for the key: it counts as acknowledged.</summary>
    public bool Holds => Kind is ReplicaAckKind.Applied or ReplicaAckKind.AlreadyNewer;
}

public enum ReplicaAckKind : byte
{
    /// <summary>Applied: the replica's copy is now this version.</summary>
    Applied,

    /// <summary>The replica already held a version at least this new (a resent write): nothing changed.</summary>
    AlreadyNewer,

    /// <summary>The replica is at a newer epoch and refuses writes of older ones; <see cref="ReplicaAck.ReplicaEpoch"/> says which.</summary>
    StaleEpoch,

    /// <summary>The replica does not hold a copy of the key in the configuration it knows, or does not know the sender as a live member.</summary>
    NotReplica,

    /// <summary>No lane to the replica could be opened, or it broke before the answer: the write may or may not have been applied.</summary>
    Unreachable,

    /// <summary>No answer before the deadline: the write may or may not have been applied.</summary>
    TimedOut,
}
