using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// When a node may skip the walk for leftovers before a fill (only when its store can hold nothing
/// but copies it is an in-sync replica of, under the configuration it runs and the fill alike) and
/// the cleanup after a switch (only when the switch took members out of every ring the node may hold
/// keys of, and added none). Every other case walks, as before. <see cref="StrayCopyWatchModelTests"/>
/// checks the claim against a model of the store over random histories.
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

        watch.Adopted(formed, Self, storeEmpty: true);

        Assert.True(exclusion.IsFilling);
        Assert.True(watch.HasNoLeftovers(formed, exclusion, Self));
    }

    [Fact]
    public void A_node_that_held_keys_when_it_adopted_may_hold_leftovers()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);

        watch.Adopted(formed, Self, storeEmpty: false);

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
        watch.Adopted(formed, Self, storeEmpty: true);

        watch.Adopted(firstFill, Self, storeEmpty: true);

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
        watch.Adopted(fill, Self, storeEmpty: false);
        watch.Adopted(switched, Self, storeEmpty: false);
        Assert.False(watch.HasNoLeftovers(switched, nextFill, Self));

        watch.CleanupFinished(switched, Self);

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
        watch.Adopted(switched, Self, storeEmpty: false);
        watch.Adopted(nextFill, Self, storeEmpty: false);

        watch.CleanupFinished(switched, Self);

        Assert.False(watch.HasNoLeftovers(nextFill, replacingFill, Self));
    }

    [Fact]
    public void Nothing_is_skipped_for_a_node_the_fill_does_not_count_in_sync_or_while_it_runs_another_configuration()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        watch.Adopted(formed, Self, storeEmpty: true);
        ClusterConfig excludingSelf = Next(formed, new ConfigChange.Exclude(Self));
        ClusterConfig later = Next(formed, new ConfigChange.Exclude(Member(1)));

        Assert.False(watch.HasNoLeftovers(formed, excludingSelf, Self), "a node the fill excludes is not in sync under it");
        Assert.False(watch.HasNoLeftovers(later, Next(later, new ConfigChange.Exclude(Member(2))), Self), "the node no longer runs the configuration it was empty under");
    }

    [Fact]
    public void The_switch_after_an_exclusion_leaves_nothing_to_clean_up_and_no_leftovers_for_the_next_fill()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        ClusterConfig fill = Next(formed, new ConfigChange.Exclude(Member(1)));
        ClusterConfig switched = FinishFill(fill);
        watch.Adopted(formed, Self, storeEmpty: true);
        watch.Adopted(fill, Self, storeEmpty: false);
        Assert.False(watch.HoldsOnlyInSyncCopies(fill), "a running fill has learner copies");

        watch.Adopted(switched, Self, storeEmpty: false);

        Assert.True(watch.HoldsOnlyInSyncCopies(switched));
        Assert.True(watch.HasNoLeftovers(switched, Next(switched, new ConfigChange.Exclude(Member(2))), Self));
    }

    [Fact]
    public void The_switch_after_a_rejoin_must_be_cleaned_up_by_the_members_that_hand_keys_to_the_new_one()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig afterExclusion = FinishFill(Next(Formed(5), new ConfigChange.Exclude(Member(1))));
        ClusterConfig rejoin = Next(afterExclusion, new ConfigChange.Rejoin(Member(1, incarnation: 2)));
        watch.Adopted(afterExclusion, Self, storeEmpty: true);
        watch.Adopted(rejoin, Self, storeEmpty: false);

        ClusterConfig switched = FinishFill(rejoin);
        watch.Adopted(switched, Self, storeEmpty: false);

        Assert.False(watch.HoldsOnlyInSyncCopies(switched));
    }

    [Fact]
    public void The_rejoined_member_itself_holds_only_what_it_learned()
    {
        var watch = new StrayCopyWatch();
        PlacedMember returning = Member(1, incarnation: 2);
        ClusterConfig rejoin = Next(FinishFill(Next(Formed(5), new ConfigChange.Exclude(Member(1)))), new ConfigChange.Rejoin(returning));
        watch.Adopted(rejoin, returning, storeEmpty: true);

        ClusterConfig switched = FinishFill(rejoin);
        watch.Adopted(switched, returning, storeEmpty: false);

        Assert.True(watch.HoldsOnlyInSyncCopies(switched));
    }

    [Fact]
    public void A_view_change_that_adds_a_node_must_be_cleaned_up_and_one_that_removes_a_node_need_not()
    {
        ClusterConfig formed = Formed(4);
        ImmutableArray<PlacedMember> view = [.. formed.Placement];
        foreach ((ImmutableArray<PlacedMember> newView, bool clean) in new[] { (view.Add(Member(4)), false), (view.Remove(Member(3)), true) })
        {
            var watch = new StrayCopyWatch();
            ClusterConfig change = Next(formed, new ConfigChange.ChangeView(newView));
            watch.Adopted(formed, Self, storeEmpty: true);
            watch.Adopted(change, Self, storeEmpty: false);

            ClusterConfig switched = FinishFill(change);
            watch.Adopted(switched, Self, storeEmpty: false);

            Assert.Equal(clean, watch.HoldsOnlyInSyncCopies(switched));
        }
    }

    [Fact]
    public void A_switch_proves_nothing_for_a_store_that_was_not_known_clean_before_the_fill()
    {
        var watch = new StrayCopyWatch();
        ClusterConfig formed = Formed(5);
        ClusterConfig fill = Next(formed, new ConfigChange.Exclude(Member(1)));
        watch.Adopted(formed, Self, storeEmpty: false);
        watch.Adopted(fill, Self, storeEmpty: false);

        ClusterConfig switched = FinishFill(fill);
        watch.Adopted(switched, Self, storeEmpty: false);

        Assert.False(watch.HoldsOnlyInSyncCopies(switched));
    }
}
