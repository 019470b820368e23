using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Knows when this node's store can hold nothing but in-sync copies, so that the walk over the whole
/// store before a fill (<c>Fill/ReplicaCleanup.DropKeysNotInSync</c>) has nothing to find and can be
/// left out. That walk runs before the fill's configuration is adopted, so it holds up the takeover of
/// a dead primary's keys: some 50-100 ms per 200,000 keys on a quiet core, several times that on a
/// busy one.
/// </summary>
/// <remarks>
/// <para>The store holds only in-sync copies under a configuration that is not filling when it was
/// empty as that configuration was adopted, or when the cleanup after a switch to it went over every
/// key while it was still the newest adopted. From then until the next adoption the node accepts
/// writes only for keys it is an in-sync replica of (a replica checks its copy under the stripe, at the
/// same epoch) and no fill batches (no fill runs), so the store stays that way.</para>
/// <para>A fill that follows keeps the same placement (only a switch changes it), so if this node is in
/// sync under both, its in-sync keys are the same under both and nothing is a leftover.</para>
/// <para>Concurrency: the configuration log calls <see cref="Adopted"/> and <see cref="HasNoLeftovers"/>
/// in epoch order; cleanups call <see cref="CleanupFinished"/> from any thread. One lock guards both fields.</para>
/// </remarks>
public sealed class StrayCopyWatch
{
    private readonly Lock _gate = new();
    private long _adoptedEpoch;

    // Always of _adoptedEpoch when set: Adopted replaces it, CleanupFinished sets it only at that epoch.
    private ClusterConfig? _onlyInSyncCopiesOf;

    /// <summary>This node adopted <paramref name="config"/>; <paramref name="storeEmpty"/> is whether
    /// its store held no key once it had.</summary>
    public void Adopted(ClusterConfig config, bool storeEmpty)
    {
        lock (_gate)
        {
            _adoptedEpoch = config.Epoch;
            _onlyInSyncCopiesOf = !config.IsFilling && storeEmpty ? config : null;
        }
    }

    /// <summary>The cleanup after the switch to <paramref name="config"/> went over every key of the
    /// store while <paramref name="config"/> was still the newest this node had adopted.</summary>
    public void CleanupFinished(ClusterConfig config)
    {
        lock (_gate)
        {
            if (_adoptedEpoch == config.Epoch && !config.IsFilling)
            {
                _onlyInSyncCopiesOf = config;
            }
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
}
