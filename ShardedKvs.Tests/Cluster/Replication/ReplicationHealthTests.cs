using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Tests.Cluster.Configuration;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>What the replication gauges report for a configuration: every range at R copies while all
/// is well, the dead node's ranges under-replicated from its exclusion to the switch.</summary>
public class ReplicationHealthTests
{
    private const int Tokens = 64;

    [Fact]
    public void A_formed_cluster_has_every_range_at_R_copies()
    {
        ClusterConfig formed = ConfigTransitionsTests.Formed(4);

        foreach (PlacedMember node in formed.Placement)
        {
            ReplicationHealth health = ReplicationHealth.Of(StateOf(formed, node));

            Assert.Equal(0, health.UnderReplicatedRanges);
            Assert.Equal(3, health.MinInSyncOfOwnRanges);
        }
    }

    [Fact]
    public void After_an_exclusion_the_ranges_the_dead_node_held_are_under_replicated_until_the_switch()
    {
        ClusterConfig formed = ConfigTransitionsTests.Formed(4);
        PlacedMember dead = ConfigTransitionsTests.Member(2);
        ClusterConfig excluded = ConfigTransitions.Apply(formed, new ConfigChange.Exclude(dead)).Next!;
        ClusterConfig switched = ConfigTransitionsTests.FinishFill(excluded);
        PlacedMember[] survivors = [.. excluded.Sources];

        // With R = 3 of 4 nodes, a node is a replica of three ranges in four: every range it held lost a copy.
        int heldByDead = HeldBy(formed, dead);
        Assert.All(survivors, s => Assert.Equal(heldByDead, ReplicationHealth.Of(StateOf(excluded, s)).UnderReplicatedRanges));
        Assert.Contains(survivors, s => ReplicationHealth.Of(StateOf(excluded, s)).MinInSyncOfOwnRanges == 2);
        Assert.All(survivors, s => Assert.Equal(new ReplicationHealth(0, 3), ReplicationHealth.Of(StateOf(switched, s))));
    }

    [Fact]
    public void With_fewer_members_than_R_the_view_size_is_what_a_range_needs()
    {
        ClusterConfig formed = ConfigTransitionsTests.Formed(2, replicationFactor: 3);

        Assert.Equal(new ReplicationHealth(0, 2), ReplicationHealth.Of(StateOf(formed, formed.Placement[0])));
    }

    private static ReplicaState StateOf(ClusterConfig config, PlacedMember self) =>
        new(config, new PlacementMap(config, Tokens), self, previous: null);

    private static int HeldBy(ClusterConfig config, PlacedMember member)
    {
        var map = new PlacementMap(config, Tokens);
        int held = 0;
        foreach (ulong token in map.Placement.Ring.Tokens)
        {
            held += map.HoldsCopy(member, token) ? 1 : 0;
        }

        return held;
    }
}
