using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>What a fill asks of a node's store (implemented in <c>Replication/Fill/</c>).</summary>
public interface IFillWork
{
    /// <summary>Copies every key this node is primary for to the key's learners. False when a learner
    /// could not be reached; the reason is logged.</summary>
    Task<bool> CopyToLearnersAsync(PlacementMap map, PlacedMember self, CancellationToken cancellationToken);

    /// <summary>After a switch: drops the keys this node no longer holds a copy of, while
    /// <paramref name="stillCurrent"/> says the switched configuration is still the newest.</summary>
    int DropKeysNotHeld(PlacementMap map, PlacedMember self, Func<bool> stillCurrent);

    /// <summary>A fill is about to start (before this node runs its configuration): drops what this
    /// node holds of the keys it will learn.</summary>
    int DropLeftovers(PlacementMap filling, PlacedMember self);

    /// <summary>Whether the store holds no key at all.</summary>
    bool StoreIsEmpty { get; }

    /// <summary>The fill is over: forget the deletes remembered during it.</summary>
    void EndFill();
}
