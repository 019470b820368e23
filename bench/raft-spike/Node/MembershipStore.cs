namespace RaftSpike.Node;

/// <summary>Where a node keeps the Raft membership between restarts.</summary>
public enum MembershipStore
{
    /// <summary>DotNext's in-memory storage, seeded from --members at every start.</summary>
    InMemorySeed,

    /// <summary>DotNext's persistent file; the first member cold-starts, the leader adds the rest.</summary>
    PersistentColdStart,

    /// <summary>DotNext's persistent file, written from --members when the data dir is new.</summary>
    PersistentSeed,
}
