using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Node.Cluster.Peers;

// The node-to-node control protocol: the bodies of the calls in PeerRoutes. Every message names
// epochs, so every step can be re-sent.

/// <param name="Incarnation">Replicated mode: the process's incarnation id, placed at epoch 1.</param>
public sealed record JoinRequest(string Address, long Incarnation = 0);

/// <summary>A node's view as peers see it; <see cref="Formed"/> is false while formation runs.</summary>
public sealed record ViewState(bool Formed, long Epoch, string View, long? PendingEpoch, string? PendingView)
{
    public IReadOnlyList<string>? Unavailable { get; init; }

    /// <summary>The answering process's incarnation id: a replicated view change places new members in it.</summary>
    public long? Incarnation { get; init; }
}

public sealed record PrepareRequest(long FromEpoch, string FromView, long ToEpoch, string ToView)
{
    /// <summary>Members of the from-view whose ranges are unavailable (see <see cref="ClusterView.Unavailable"/>).</summary>
    public IReadOnlyList<string>? FromUnavailable { get; init; }

    /// <summary>The node that coordinates this change.</summary>
    public string? Coordinator { get; init; }
}

/// <summary>Names one view change: its epoch and target view (two coordinators may race for one epoch).</summary>
public sealed record ChangeRef(long Epoch, string View)
{
    /// <summary>On commit: members that are down and whose ranges stay unavailable until the next change.</summary>
    public IReadOnlyList<string>? Unavailable { get; init; }

    /// <summary>On migrate: targets that are down; keys meant for them stay where they are.</summary>
    public IReadOnlyList<string>? SkipTargets { get; init; }
}

/// <summary>Which change, if any, a node is coordinating right now.</summary>
public sealed record CoordinatorStatus(long? RunningEpoch);

/// <param name="Epoch">The epoch the count was taken at (replicated mode counts primaries, which depend on it).</param>
/// <param name="TakingOver">Replicated mode: the node still takes over keys it leads since a new
/// configuration (it does not serve them yet).</param>
public sealed record KeyCount(string Address, int Count, long Epoch = 0, bool TakingOver = false);

/// <summary>What a node holds, for a placement audit: each key with its version, at the epoch it runs.</summary>
public sealed record HeldCopies(string Address, long Epoch, IReadOnlyList<HeldCopy> Keys);

public sealed record HeldCopy(string Key, long Version);

public sealed record MigrateResult(string Source, long KeysMoved, int Batches, long KeysRemaining);

public sealed record MigrationEntry(string Key, string Value);

public sealed record MigrationBatch(long Epoch, string Source, long BatchId, IReadOnlyList<MigrationEntry> Entries);

public sealed record PeerError(string Error);
