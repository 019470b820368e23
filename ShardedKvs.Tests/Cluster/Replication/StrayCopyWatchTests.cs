using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// When a node may skip the walk for leftovers before a fill: only when its store can hold nothing
/// but copies it is an in-sync replica of, under the configuration it runs and the fill alike.
/// Every other case walks, as before.
/// </summary>
public sealed class StrayCopyWatchTests
{
    private static readonly PlacedMember Self = Member(0);

    private static ClusterConfig Next(ClusterConfig config, ConfigChange change) => ConfigTransitions.Apply(config, change).Next!;

    [Fact]
    public void A_node_that_was_empty_when_it_adopted_a_settled_configuration_has_no_leftovers_for_the_next_fill()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        ClusterConfig exclusion = Next(formed, new ConfigChange.Exclude(Member(1)));

        watch.Adopted(formed, storeEmpty: true);

        Assert.True(exclusion.IsFilling);
        Assert.True(watch.HasNoLeftovers(formed, exclusion, Self));
    }

    [Fact]
    public void A_node_that_held_keys_when_it_adopted_may_hold_leftovers()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);

        watch.Adopted(formed, storeEmpty: false);

        Assert.False(watch.HasNoLeftovers(formed, Next(formed, new ConfigChange.Exclude(Member(1))), Self));
    }

    [Fact]
    public void A_node_knows_nothing_before_it_adopts_a_configuration()
    {
        ClusterConfig formed = Formed(5);

        Assert.False(new StrayCopyWatch().HasNoLeftovers(formed, Next(formed, new ConfigChange.Exclude(Member(1))), Self));
    }

    [Fact]
    public void A_node_that_adopted_a_fill_may_hold_its_learner_copies_even_if_it_was_empty()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        ClusterConfig firstFill = Next(formed, new ConfigChange.Exclude(Member(1)));
        ClusterConfig replacingFill = Next(firstFill, new ConfigChange.Exclude(Member(2)));
        watch.Adopted(formed, storeEmpty: true);

        watch.Adopted(firstFill, storeEmpty: true);

        Assert.True(replacingFill.IsFilling);
        Assert.False(watch.HasNoLeftovers(firstFill, replacingFill, Self));
    }

    [Fact]
    public void A_cleanup_that_finished_under_the_switched_configuration_clears_the_leftovers_of_the_fill_before()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        ClusterConfig fill = Next(formed, new ConfigChange.Exclude(Member(1)));
        ClusterConfig switched = FinishFill(fill);
        ClusterConfig nextFill = Next(switched, new ConfigChange.Exclude(Member(2)));
        watch.Adopted(fill, storeEmpty: false);
        watch.Adopted(switched, storeEmpty: false);
        Assert.False(watch.HasNoLeftovers(switched, nextFill, Self));

        watch.CleanupFinished(switched);

        Assert.True(watch.HasNoLeftovers(switched, nextFill, Self));
    }

    [Fact]
    public void A_cleanup_that_finished_after_a_newer_adoption_proves_nothing()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        ClusterConfig switched = FinishFill(Next(formed, new ConfigChange.Exclude(Member(1))));
        ClusterConfig nextFill = Next(switched, new ConfigChange.Exclude(Member(2)));
        ClusterConfig replacingFill = Next(nextFill, new ConfigChange.Exclude(Member(3)));
        watch.Adopted(switched, storeEmpty: false);
        watch.Adopted(nextFill, storeEmpty: false);

        watch.CleanupFinished(switched);

        Assert.False(watch.HasNoLeftovers(nextFill, replacingFill, Self));
    }

    [Fact]
    public void Nothing_is_skipped_for_a_node_the_fill_does_not_count_in_sync_or_while_it_runs_another_configuration()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        watch.Adopted(formed, storeEmpty: true);
        ClusterConfig excludingSelf = Next(formed, new ConfigChange.Exclude(Self));
        ClusterConfig later = Next(formed, new ConfigChange.Exclude(Member(1)));

        Assert.False(watch.HasNoLeftovers(formed, excludingSelf, Self), "a node the fill excludes is not in sync under it");
        Assert.False(watch.HasNoLeftovers(later, Next(later, new ConfigChange.Exclude(Member(2))), Self), "the node no longer runs the configuration it was empty under");
    }
}
