using System.Collections.Immutable;

namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>
/// The cluster's configuration at one epoch, as the configuration log decided it: an immutable value,
/// replaced whole by every decision.
/// <list type="bullet">
/// <item><see cref="View"/> is the operator's view (the course contract): who should be in the cluster.</item>
/// <item><see cref="Placement"/> is where every key's copies are complete: the ring of these members
/// gives each key's replicas, and those still alive in that incarnation are its in-sync replicas.</item>
/// <item>The target (<see cref="Target"/>) is the view's live members. While it differs from the
/// placement, a fill is under way: new replicas (learners) receive every write and the keys they
/// lack; when every source has reported, the placement becomes the target (the switch).</item>
/// </list>
/// Failover, re-replication, rejoining and view changes are all this one movement: the placement
/// chases the target.
/// </summary>
public sealed class ClusterConfig : IEquatable<ClusterConfig>
{
    private readonly Dictionary<string, ConfigMember> _byAddress;

    public ClusterConfig(
        long epoch,
        int replicationFactor,
        ImmutableArray<string> view,
        ImmutableArray<ConfigMember> members,
        ImmutableArray<PlacedMember> placement,
        long fillEpoch = 0,
        ImmutableArray<PlacedMember> filled = default,
        string? traceParent = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        Epoch = epoch;
        ReplicationFactor = replicationFactor;
        View = view;
        Members = members;
        Placement = placement;
        _byAddress = members.ToDictionary(m => m.Address, StringComparer.OrdinalIgnoreCase);
        Target = [.. view.Select(a => _byAddress[a]).Where(m => !m.Excluded).Select(m => m.Placed)];
        IsFilling = !SameMembers(Target, Placement);
        FillEpoch = IsFilling ? fillEpoch : 0;
        Filled = IsFilling && !filled.IsDefault ? filled : [];
        Sources = [.. Placement.Where(IsLive)];
        Voters = [.. members.Where(m => !m.Excluded).Select(m => m.Placed)];
        TraceParent = traceParent;
    }

    /// <summary>Numbers the decisions: epoch e+1 is decided by a majority of the voters of epoch e.</summary>
    public long Epoch { get; }

    /// <summary>Replicas per key as configured; a ring of fewer members places fewer.</summary>
    public int ReplicationFactor { get; }

    /// <summary>The operator's view, in the order it was given.</summary>
    public ImmutableArray<string> View { get; }

    /// <summary>Every member of the view, and every placed member not yet switched out of the placement.</summary>
    public ImmutableArray<ConfigMember> Members { get; }

    /// <summary>The members whose ring places every key's complete copies.</summary>
    public ImmutableArray<PlacedMember> Placement { get; }

    /// <summary>Where the placement is going: the view's members that are not excluded, in view order.</summary>
    public ImmutableArray<PlacedMember> Target { get; }

    /// <summary>Whether learners are being filled (<see cref="Target"/> differs from <see cref="Placement"/>).</summary>
    public bool IsFilling { get; }

    /// <summary>The epoch at which the current fill began (0 when not filling): a report names it, so a
    /// report of a fill that a newer change replaced counts for nothing.</summary>
    public long FillEpoch { get; }

    /// <summary>Sources that have reported the current fill done.</summary>
    public ImmutableArray<PlacedMember> Filled { get; }

    /// <summary>Placed members alive in the incarnation that was placed: they hold complete copies.</summary>
    public ImmutableArray<PlacedMember> Sources { get; }

    /// <summary>Placed members whose copies are lost: excluded, or restarted as a new incarnation. No key
    /// has more of its replicas among them than there are.</summary>
    public int LostPlacedMembers => Placement.Length - Sources.Length;

    /// <summary>Whether the fill restores copies that were lost (a failover), rather than only moving
    /// copies for members the view added or removed.</summary>
    public bool RestoresLostCopies => IsFilling && LostPlacedMembers > 0;

    /// <summary>The effective replication factor, the replicas the placement gives each key: never more
    /// than the members placed.</summary>
    public int PlacedFactor => Math.Min(ReplicationFactor, Placement.Length);

    /// <summary>In-sync replicas a write needs: <paramref name="minInSync"/> (the node's
    /// <c>MinInSync</c>), never more than <see cref="PlacedFactor"/>.</summary>
    public int NeededInSync(int minInSync) => Math.Clamp(minInSync, 1, Math.Max(1, PlacedFactor));

    /// <summary>Whether every key keeps the in-sync replicas a write needs, however the placed members
    /// that lost their copies fall on the ring. When not, only the switch at the end of the fill makes
    /// some keys writable again.</summary>
    public bool EveryKeyWritable(int minInSync) => PlacedFactor - LostPlacedMembers >= NeededInSync(minInSync);

    /// <summary>Who decides the next epoch: every member not excluded (new, empty members included:
    /// a vote needs no data).</summary>
    public ImmutableArray<PlacedMember> Voters { get; }

    /// <summary>
    /// The W3C traceparent of the span that proposed this configuration (null when nobody traced it).
    /// Every node adopts the same decided value, so whatever a node does because of it (a promotion, its
    /// part in a fill) starts its span under this parent, and a failover or a fill is one trace across
    /// the cluster. It describes where the decision came from, not what was decided, so
    /// <see cref="Equals(ClusterConfig?)"/> ignores it: two proposers of the same change find their
    /// change decided whichever of them won.
    /// </summary>
    public string? TraceParent { get; }

    /// <summary>This configuration, proposed from the span <paramref name="traceParent"/> names.</summary>
    public ClusterConfig WithTraceParent(string? traceParent) =>
        traceParent == TraceParent ? this : new(Epoch, ReplicationFactor, View, Members, Placement, FillEpoch, Filled, traceParent);

    /// <summary>How many voters decide the next epoch.</summary>
    public int Quorum => (Voters.Length / 2) + 1;

    public ConfigMember? MemberAt(string address) => _byAddress.GetValueOrDefault(address);

    /// <summary>Whether <paramref name="placed"/> is in the placement and still holds the copies it
    /// was placed with (the same incarnation, not excluded).</summary>
    public bool IsInSync(PlacedMember placed) => IsLive(placed) && Placement.Contains(placed);

    /// <summary>Whether <paramref name="member"/> is the incarnation the configuration knows for its
    /// address and is not excluded: only such a node takes part in the data path or votes.</summary>
    public bool IsLive(PlacedMember member) =>
        _byAddress.TryGetValue(member.Address, out ConfigMember? known) && known.Incarnation == member.Incarnation && !known.Excluded;

    public override string ToString() =>
        $"epoch {Epoch}: view {string.Join(',', View)}; placement {string.Join(',', Placement)}" +
        (IsFilling ? $"; filling {string.Join(',', Target)} since {FillEpoch}, done {string.Join(',', Filled)}" : "");

    /// <summary>Two configurations are equal when every decided field is (the trace context is not
    /// one): nodes compare decisions they learned from different peers this way.</summary>
    public bool Equals(ClusterConfig? other) =>
        other is not null
        && Epoch == other.Epoch
        && ReplicationFactor == other.ReplicationFactor
        && FillEpoch == other.FillEpoch
        && View.SequenceEqual(other.View)
        && Members.SequenceEqual(other.Members)
        && Placement.SequenceEqual(other.Placement)
        && Filled.SequenceEqual(other.Filled);

    public override bool Equals(object? obj) => Equals(obj as ClusterConfig);

    public override int GetHashCode() => HashCode.Combine(Epoch, Placement.Length, View.Length);

    internal static bool SameMembers(ImmutableArray<PlacedMember> a, ImmutableArray<PlacedMember> b) =>
        a.Length == b.Length && a.All(b.Contains);
}
