using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Tests.Cluster.Membership;

/// <summary>Every answer a node gives to a prepare, decided by its state alone (no HTTP).</summary>
public sealed class ClusterStateTests
{
    private static readonly ImmutableArray<string> Three = ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"];
    private static readonly ImmutableArray<string> Four = [.. Three, "10.0.0.4:1"];
    private static readonly ImmutableArray<string> Two = ["10.0.0.1:1", "10.0.0.2:1"];

    private static ClusterState FormedAtEpoch1()
    {
        var state = new ClusterState(Three[0], Three, tokensPerNode: 16);
        Assert.True(state.TryAdopt(1, Three));
        return state;
    }

    [Fact]
    public void A_node_with_no_change_pending_is_prepared_and_keeps_serving_its_committed_view()
    {
        ClusterState state = FormedAtEpoch1();

        Assert.Equal(PrepareOutcome.Prepared, state.Prepare(1, Three, null, 2, Four, "10.0.0.2:1"));

        ClusterSnapshot s = state.Snapshot;
        Assert.Equal(1, s.Current.Epoch);
        Assert.Equal(2, s.Pending!.Epoch);
        Assert.True(s.Pending.SameMembersAs(Four));
        Assert.Equal("10.0.0.2:1", s.PendingCoordinator);
        Assert.False(s.HandingOff);
    }

    [Fact]
    public void The_same_prepare_again_is_already_prepared_and_changes_nothing()
    {
        ClusterState state = FormedAtEpoch1();
        state.Prepare(1, Three, null, 2, Four, "c");
        long version = state.Version;

        Assert.Equal(PrepareOutcome.AlreadyPrepared, state.Prepare(1, Three, null, 2, Four, "c"));
        Assert.Equal(version, state.Version);
    }

    [Fact]
    public void A_prepare_for_another_view_while_one_is_pending_is_a_conflict()
    {
        ClusterState state = FormedAtEpoch1();
        state.Prepare(1, Three, null, 2, Four, "c");

        Assert.Equal(PrepareOutcome.Conflict, state.Prepare(1, Three, null, 2, Two, "other"));
        Assert.True(state.Snapshot.Pending!.SameMembersAs(Four));
    }

    [Fact]
    public void A_prepare_of_a_change_this_node_already_committed_is_already_committed()
    {
        ClusterState state = FormedAtEpoch1();
        state.Prepare(1, Three, null, 2, Four, "c");
        Assert.True(state.TryAdopt(2, Four));

        Assert.Equal(PrepareOutcome.AlreadyCommitted, state.Prepare(1, Three, null, 2, Four, "c"));
        Assert.Null(state.Snapshot.Pending);
    }

    [Fact]
    public void A_prepare_that_starts_from_a_view_older_than_the_committed_one_is_stale()
    {
        ClusterState state = FormedAtEpoch1();
        Assert.True(state.TryAdopt(2, Four));

        Assert.Equal(PrepareOutcome.Stale, state.Prepare(1, Three, null, 2, Two, "c"));
        Assert.Equal(2, state.Snapshot.Current.Epoch);
        Assert.Null(state.Snapshot.Pending);
    }

    [Fact]
    public void A_prepare_that_starts_from_the_view_still_pending_here_commits_it_first()
    {
        // The change to epoch 2 was committed by nodes this one did not hear from.
        ClusterState state = FormedAtEpoch1();
        state.Prepare(1, Three, null, 2, Four, "c");

        Assert.Equal(PrepareOutcome.Prepared, state.Prepare(2, Four, null, 3, Three, "c"));
        Assert.Equal(2, state.Snapshot.Current.Epoch);
        Assert.Equal(3, state.Snapshot.Pending!.Epoch);
    }

    [Fact]
    public void An_idle_node_learns_the_committed_view_from_the_prepare_that_adds_it()
    {
        var joiner = new ClusterState("10.0.0.4:1", ["10.0.0.4:1"], tokensPerNode: 16);

        Assert.Equal(PrepareOutcome.Prepared, joiner.Prepare(5, Three, ["10.0.0.3:1"], 6, Four, "c"));

        ClusterSnapshot s = joiner.Snapshot;
        Assert.Equal(5, s.Current.Epoch);
        Assert.True(s.Current.SameMembersAs(Three));
        Assert.Equal("10.0.0.3:1", Assert.Single(s.Current.Unavailable));
        Assert.Equal(6, s.Pending!.Epoch);
    }

    [Fact]
    public void Abort_drops_the_pending_view_only_for_its_epoch()
    {
        ClusterState state = FormedAtEpoch1();
        state.Prepare(1, Three, null, 2, Four, "c");

        Assert.False(state.Abort(3));
        Assert.NotNull(state.Snapshot.Pending);
        Assert.True(state.Abort(2));
        Assert.Null(state.Snapshot.Pending);
        Assert.Equal(PrepareOutcome.Prepared, state.Prepare(1, Three, null, 2, Two, "other"));
    }
}
