using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Storage;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>The fill's services as <see cref="FillRunner"/> asks for them (<see cref="IFillWork"/>).</summary>
public sealed class FillWork(FillSource source, ReplicaCleanup cleanup, FillTombstones tombstones, KeyValueStore store) : IFillWork
{
    /// <summary>A failed copy is logged by <see cref="FillSource"/>, naming the learner and why.</summary>
    public async Task<bool> CopyToLearnersAsync(PlacementMap map, PlacedMember self, CancellationToken cancellationToken) =>
        (await source.CopyAsync(map, self, cancellationToken)).Succeeded;

    public int DropLeftovers(PlacementMap filling, PlacedMember self) => cleanup.DropKeysNotInSync(filling, self);

    public int DropKeysNotHeld(PlacementMap map, PlacedMember self, Func<bool> stillCurrent) => cleanup.DropKeysNotHeld(map, self, stillCurrent);

    public bool StoreIsEmpty => store.Count == 0;

    public void EndFill() => tombstones.Clear();
}
