using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Cluster.Configuration;

public class TakeoversTests
{
    private const int Tokens = 64;

    [Fact]
    public void After_an_exclusion_the_next_replicas_take_over_from_the_dead_node_only()
    {
        ClusterConfig before = ConfigTransitionsTests.Formed(5);
        ClusterConfig after = ConfigTransitions.Apply(before, new ConfigChange.Exclude(ConfigTransitionsTests.Member(2))).Next!;
        var was = new PlacementMap(before, Tokens);
        var now = new PlacementMap(after, Tokens);

        var takers = after.Voters.Where(m => Takeovers.From(was, now, m).Count > 0).ToArray();
        Assert.NotEmpty(takers);
        Assert.All(takers, m => Assert.Equal([ConfigTransitionsTests.Member(2)], Takeovers.From(was, now, m)));

        // Exactly the nodes that became primary of some key, found by brute force over many keys.
        var expected = Enumerable.Range(0, 20_000).Select(i => StableHash.Of($"k{i}"))
            .Where(h => was.PrimaryOf(h) == ConfigTransitionsTests.Member(2))
            .Select(h => now.PrimaryOf(h)!.Value)
            .ToHashSet();
        Assert.Equal(expected.OrderBy(m => m.Address), takers.OrderBy(m => m.Address));
    }

    [Fact]
    public void At_a_switch_an_added_node_takes_over_from_the_old_primaries_of_its_ranges()
    {
        ClusterConfig formed = ConfigTransitionsTests.Formed(3);
        ClusterConfig filling = ConfigTransitions.Apply(formed, new ConfigChange.ChangeView(
            [ConfigTransitionsTests.Member(0), ConfigTransitionsTests.Member(1), ConfigTransitionsTests.Member(2), ConfigTransitionsTests.Member(3)])).Next!;
        ClusterConfig switched = ConfigTransitionsTests.FinishFill(filling);
        var was = new PlacementMap(filling, Tokens);
        var now = new PlacementMap(switched, Tokens);

        // While it is filled it is primary of nothing; at the switch it takes over from all three.
        Assert.Empty(Takeovers.From(new PlacementMap(formed, Tokens), was, ConfigTransitionsTests.Member(3)));
        Assert.Equal(3, Takeovers.From(was, now, ConfigTransitionsTests.Member(3)).Count);
        Assert.Empty(Takeovers.From(was, now, ConfigTransitionsTests.Member(0)));
    }
}
