using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Node.Cluster.Membership;

/// <summary>
/// Everything the request path needs to know about the cluster, as one immutable value. It is
/// replaced wholesale on every change, so a request reads one consistent picture without locks.
/// </summary>
public sealed class ClusterSnapshot
{
    public ClusterSnapshot(string self, ClusterView current, ClusterView? pending, long version, ClusterView? previous = null, bool handingOff = false, string? pendingCoordinator = null, ReplicaState? replica = null)
    {
        Replica = replica;
        PendingCoordinator = pending is null ? null : pendingCoordinator;
        Self = self;
        Current = current;
        Pending = pending;
        Previous = previous;
        HandingOff = pending is not null && handingOff;
        Version = version;
        CurrentSelfIndex = current.IndexOf(self);
        PendingSelfIndex = pending?.IndexOf(self) ?? -1;
    }

    /// <summary>This node's address as written in views.</summary>
    public string Self { get; }

    /// <summary>The committed view. Epoch 0 is the configured VIEW before formation completes.</summary>
    public ClusterView Current { get; }

    /// <summary>The view being moved to, between prepare and commit.</summary>
    public ClusterView? Pending { get; }

    /// <summary>The committed view before <see cref="Current"/>: its members may still forward for a moment.</summary>
    public ClusterView? Previous { get; }

    /// <summary>The node that coordinates the change to <see cref="Pending"/>.</summary>
    public string? PendingCoordinator { get; }

    /// <summary>Whether this node has begun moving keys to <see cref="Pending"/>. Until then it still
    /// serves every key it owns in <see cref="Current"/> (its next owner may not be prepared yet).</summary>
    public bool HandingOff { get; }

    /// <summary>Grows with every replacement; lets a lock-free reader detect that it raced a change.</summary>
    public long Version { get; }

    /// <summary>This node's position in <see cref="Current"/>, or -1.</summary>
    public int CurrentSelfIndex { get; }

    /// <summary>This node's position in <see cref="Pending"/>, or -1.</summary>
    public int PendingSelfIndex { get; }

    /// <summary>Replicated mode: the decided configuration this node runs, and what it means for keys.
    /// Null in the round-one protocol, and before formation.</summary>
    public ReplicaState? Replica { get; }

    public NodeStatus Status =>
        Replica is { } replica ? replica.Status
        : !IsMember ? NodeStatus.Idle
        : Current.Epoch == 0 && Pending is null ? NodeStatus.Forming
        : NodeStatus.Serving;

    /// <summary>A member of the committed view, or joining through the pending one.</summary>
    public bool IsMember => CurrentSelfIndex >= 0 || PendingSelfIndex >= 0;

    public bool IsFormed => Current.Epoch > 0;

    /// <summary>The newest epoch this node knows of.</summary>
    public long LatestEpoch => Pending?.Epoch ?? Current.Epoch;

    /// <summary>Whether <paramref name="address"/> may make internal calls to this node.</summary>
    public bool KnowsMember(string address) =>
        Replica?.Config.MemberAt(address) is not null
        || Current.Contains(address) || (Pending?.Contains(address) ?? false) || (Previous?.Contains(address) ?? false);

    public ClusterSnapshot With(ClusterView current, ClusterView? pending, string? pendingCoordinator = null) =>
        new(Self, current, pending, Version + 1, current == Current ? Previous : Current, pendingCoordinator: pendingCoordinator);

    public ClusterSnapshot WithReplica(ClusterView current, ReplicaState replica) =>
        new(Self, current, null, Version + 1, Current, replica: replica);

    public ClusterSnapshot WithHandoffStarted() =>
        new(Self, Current, Pending, Version + 1, Previous, handingOff: true, PendingCoordinator);
}
