using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Replication;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>Whose uncertain writes a node resends when it takes keys over: the previous primary's when
/// it did not confirm, and those of every earlier primary that can no longer finish them; and which
/// of the copies the members hold it settles on.</summary>
public sealed class ReconcileChoiceTests
{
    private readonly ClusterConfig _config = ConfigTransitions.Apply(Formed(4, 3), new ConfigChange.Exclude(Member(0))).Next!;

    [Fact]
    public void A_previous_primary_that_confirmed_finishes_its_own_writes_one_that_did_not_is_reconciled()
    {
        Assert.False(Promotions.MustReconcile(Member(2), previous: Member(2), confirmedByPrevious: true, _config));
        Assert.True(Promotions.MustReconcile(Member(2), previous: Member(2), confirmedByPrevious: false, _config));
    }

    [Fact]
    public void Writes_of_an_excluded_earlier_primary_are_reconciled_at_any_takeover_those_of_a_live_one_are_not()
    {
        Assert.True(Promotions.MustReconcile(Member(0), previous: Member(2), confirmedByPrevious: true, _config));
        Assert.False(Promotions.MustReconcile(Member(3), previous: Member(2), confirmedByPrevious: true, _config));
    }

    [Fact]
    public void The_newest_write_any_member_holds_wins_a_delete_included()
    {
        var newest = new Dictionary<string, HeldWrite>(StringComparer.Ordinal);
        ReconcileChoice.Keep(newest, new HeldWrite("a", 5, [1]));
        ReconcileChoice.Keep(newest, new HeldWrite("a", 7, null)); // a replica applied the delete after it
        ReconcileChoice.Keep(newest, new HeldWrite("a", 6, [2]));
        ReconcileChoice.Keep(newest, new HeldWrite("b", 9, [3]));
        ReconcileChoice.Keep(newest, new HeldWrite("b", 4, null)); // an older delete does not undo a newer put

        Assert.Equal((7L, (byte[]?)null), (newest["a"].Version, newest["a"].Value));
        Assert.Equal(9L, newest["b"].Version);
        Assert.Equal([3], newest["b"].Value!);
    }
}
