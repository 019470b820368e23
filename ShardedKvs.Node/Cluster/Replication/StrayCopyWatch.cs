using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Knows when this node's store can hold nothing but in-sync copies, so that a walk over the whole
/// store has nothing to find and can be left out: the walk for leftovers before a fill
/// (<c>Fill/ReplicaCleanup.DropKeysNotInSync</c>), which runs before the fill's configuration is adopted
/// and so holds up the takeover of a dead primary's keys, and the cleanup after a switch
/// (<c>DropKeysNotHeld</c>), which finds nothing after a fill that only took members out. Each costs
/// some 50-100 ms per 200,000 keys on a quiet core, several times that on a busy one.
/// </summary>
/// <remarks>
/// <para>The store holds only in-sync copies under a configuration that is not filling when it was
/// empty as that configuration was adopted, or when the cleanup after a switch to it went over every
/// key while it was still the newest adopted. From then until the next adoption the node accepts
/// writes only for keys it is an in-sync replica of (a replica checks its copy under the stripe, at the
/// same epoch) and no fill batches (no fill runs), so the store stays that way.</para>
/// <para>From a configuration it is clean under, the node may since have taken writes and fill batches
/// only for keys it replicates on one of the rings it has adopted as a placement or a target (it takes
/// nothing under a configuration it has not adopted). A ring that loses members only gives each key new
/// replicas and takes none from a member it keeps (a key's replicas are the first distinct members
/// clockwise, and a member's tokens depend on its address alone). So at a switch to a placement that is
/// contained in every such ring this node is on, the store holds only keys this node replicates under
/// it: after an exclusion, or a view change that only removes nodes, the cleanup has nothing to drop.
/// A ring with a member the switch adds (a rejoin, a view change adding nodes) leaves the walk to do.</para>
/// <para>A fill that follows keeps the same placement (only a switch changes it), so if this node is in
/// sync under both, its in-sync keys are the same under both and nothing is a leftover.</para>
/// <para>Concurrency: the configuration log calls <see cref="Adopted"/>, <see cref="HasNoLeftovers"/> and
/// <see cref="HoldsOnlyInSyncCopies"/> in epoch order; cleanups call <see cref="CleanupFinished"/> from any thread. One lock guards all fields.</para>
/// </remarks>
public sealed class StrayCopyWatch
{
    private readonly Lock _gate = new();
    private long _adoptedEpoch;

    // Always of _adoptedEpoch when set: Adopted replaces it, CleanupFinished sets it only at that epoch.
    private ClusterConfig? _onlyInSyncCopiesOf;

    // The rings (placements and targets adopted since the store was last clean or empty) that this node
    // is on and whose keys it may hold copies of; null when that is not known.
    private List<ImmutableArray<PlacedMember>>? _mayHoldKeysOf;

    /// <summary>This node, <paramref name="self"/>, adopted <paramref name="config"/>;
    /// <paramref name="storeEmpty"/> is whether its store held no key once it had.</summary>
    public void Adopted(ClusterConfig config, PlacedMember self, bool storeEmpty)
    {
        lock (_gate)
        {
            _adoptedEpoch = config.Epoch;
            if (storeEmpty)
            {
                _mayHoldKeysOf = [];
            }

            if (config.IsFilling)
            {
                _onlyInSyncCopiesOf = null;
                MayHoldKeysOf(config.Placement, self);
                MayHoldKeysOf(config.Target, self);
                return;
            }

            if (storeEmpty || (config.IsInSync(self) && _mayHoldKeysOf is { } rings && rings.TrueForAll(ring => config.Placement.All(ring.Contains))))
            {
                Clean(config, self);
            }
            else
            {
                _onlyInSyncCopiesOf = null;
                _mayHoldKeysOf = null;
            }
        }
    }

    /// <summary>The cleanup after the switch to <paramref name="config"/> went over every key of the
    /// store while <paramref name="config"/> was still the newest this node had adopted.</summary>
    public void CleanupFinished(ClusterConfig config, PlacedMember self)
    {
        lock (_gate)
        {
            if (_adoptedEpoch == config.Epoch && !config.IsFilling)
            {
                Clean(config, self);
            }
        }
    }

    /// <summary>Whether the store surely holds nothing but in-sync copies under <paramref name="config"/>,
    /// the newest configuration adopted: the cleanup after a switch to it has nothing to drop.</summary>
    public bool HoldsOnlyInSyncCopies(ClusterConfig config)
    {
        lock (_gate)
        {
            return _onlyInSyncCopiesOf is { } clean && clean.Epoch == config.Epoch;
        }
    }

    /// <summary>Whether the store surely holds nothing that <paramref name="self"/> is not an in-sync
    /// replica of under <paramref name="filling"/>, the fill about to be adopted in place of
    /// <paramref name="current"/>, the configuration the node runs now.</summary>
    public bool HasNoLeftovers(ClusterConfig? current, ClusterConfig filling, PlacedMember self)
    {
        lock (_gate)
        {
            return _onlyInSyncCopiesOf is { } clean
                && clean.Epoch == current?.Epoch
                && ClusterConfig.SameMembers(clean.Placement, filling.Placement)
                && clean.IsInSync(self)
                && filling.IsInSync(self);
        }
    }

    /// <summary>Under <c>_gate</c>: the store holds only in-sync copies under <paramref name="config"/>, a
    /// configuration that is not filling.</summary>
    private void Clean(ClusterConfig config, PlacedMember self)
    {
        _onlyInSyncCopiesOf = config;
        _mayHoldKeysOf = [];
        MayHoldKeysOf(config.Placement, self);
    }

    /// <summary>Under <c>_gate</c>: from now on the store may hold this node's keys on <paramref name="ring"/>
    /// (none when it is not on it).</summary>
    private void MayHoldKeysOf(ImmutableArray<PlacedMember> ring, PlacedMember self)
    {
        if (_mayHoldKeysOf is { } rings && ring.Contains(self) && !rings.Exists(known => ClusterConfig.SameMembers(known, ring)))
        {
            rings.Add(ring);
        }
    }
}
