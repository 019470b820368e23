using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Cluster.Configuration;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>After a switch a node keeps exactly the keys it is a replica of.</summary>
public sealed class ReplicaCleanupTests
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 2_000).Select(i => $"key-{i}")];

    [Fact]
    public void After_a_switch_a_node_drops_exactly_the_keys_it_no_longer_holds()
    {
        // Four nodes, R = 2; a fifth joins; after the switch node 0 has handed some keys to it.
        ClusterConfig before = ConfigTransitionsTests.Formed(4, 2);
        ClusterConfig after = ConfigTransitionsTests.FinishFill(FillKit.Then(before, new ConfigChange.ChangeView([.. Enumerable.Range(0, 5).Select(FillKit.Member)])));
        PlacementMap map = FillKit.Map(after);
        PlacedMember self = FillKit.Member(0);

        // What node 0 held before, plus the keys it was filled with.
        PlacementMap was = FillKit.Map(before);
        string[] held = [.. Keys.Where(k => was.HoldsCopy(self, StableHash.Of(k)) || map.HoldsCopy(self, StableHash.Of(k)))];
        KeyValueStore store = FillKit.StoreWith(held);
        string[] kept = [.. held.Where(k => map.HoldsCopy(self, StableHash.Of(k)))];
        Assert.NotEqual(held.Length, kept.Length);

        int dropped = new ReplicaCleanup(store, new KeysInFlight()).DropKeysNotHeld(map, self);

        Assert.Equal(held.Length - kept.Length, dropped);
        Assert.Equal(kept.Order(), store.Entries.Select(e => e.Key).Order());
    }

    [Fact]
    public void While_filling_a_learner_keeps_the_keys_it_is_being_filled_with()
    {
        PlacementMap map = FillKit.OneSourceOneLearner(FillKit.Member(0), FillKit.Member(1));
        KeyValueStore store = FillKit.StoreWith(Keys);

        Assert.Equal(0, new ReplicaCleanup(store, new KeysInFlight()).DropKeysNotHeld(map, FillKit.Member(1)));
        Assert.Equal(Keys.Length, store.Count);
    }
}
