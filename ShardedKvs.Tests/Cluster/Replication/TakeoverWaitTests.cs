using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>When a node taking over keys may serve them: never while their previous primary can still
/// have a write of its own taken by the replicas.</summary>
public class TakeoverWaitTests
{
    /// <summary>A view change removed the previous primary: the replicas granted it no lease since, but
    /// they still take the writes it finishes as former primary, so its "not yet" is waited for.</summary>
    [Fact]
    public void A_primary_a_view_change_removed_is_waited_for_while_it_finishes_its_writes_even_past_its_leases()
    {
        ClusterConfig removed = FinishFill(ConfigTransitions.Apply(Formed(4), new ConfigChange.ChangeView([Member(1), Member(2), Member(3)])).Next!);
        Assert.Null(removed.MemberAt(Member(0).Address));

        Assert.True(TakeoverWait.MayStillWrite(removed, Member(0)));
        Assert.Equal(TakeoverStep.Wait, TakeoverWait.Next(DrainReply.NotYet, leasesRanOut: true, removed: true, silentTooLong: false));
        Assert.Equal(TakeoverStep.Confirmed, TakeoverWait.Next(DrainReply.Drained, leasesRanOut: true, removed: true, silentTooLong: false));
    }

    /// <summary>Its leases fence nothing, so an unanswered check (a lost answer, a slow machine) is
    /// asked again; only a long silence or a refused connection hands the decision to its leases.</summary>
    [Fact]
    public void A_primary_a_view_change_removed_is_asked_again_when_a_check_goes_unanswered()
    {
        ClusterConfig removed = FinishFill(ConfigTransitions.Apply(Formed(4), new ConfigChange.ChangeView([Member(1), Member(2), Member(3)])).Next!);
        Assert.True(TakeoverWait.WasRemoved(removed, Member(0)));
        Assert.False(TakeoverWait.WasRemoved(removed, Member(1)));

        Assert.Equal(TakeoverStep.Wait, TakeoverWait.Next(DrainReply.NoAnswer, leasesRanOut: true, removed: true, silentTooLong: false));
        Assert.Equal(TakeoverStep.LeasesRanOut, TakeoverWait.Next(DrainReply.NoAnswer, leasesRanOut: true, removed: true, silentTooLong: true));
        Assert.Equal(TakeoverStep.LeasesRanOut, TakeoverWait.Next(DrainReply.Gone, leasesRanOut: true, removed: true, silentTooLong: false));
        Assert.Equal(TakeoverStep.Wait, TakeoverWait.Next(DrainReply.Gone, leasesRanOut: false, removed: true, silentTooLong: false));
    }

    [Fact]
    public void A_previous_primary_that_does_not_answer_is_waited_out_by_its_leases()
    {
        Assert.Equal(TakeoverStep.Wait, TakeoverWait.Next(DrainReply.NoAnswer, leasesRanOut: false, removed: false, silentTooLong: false));
        Assert.Equal(TakeoverStep.LeasesRanOut, TakeoverWait.Next(DrainReply.NoAnswer, leasesRanOut: true, removed: false, silentTooLong: false));
    }

    /// <summary>Replicas refuse an excluded process's writes, and a restarted one dropped its writes with
    /// its memory: neither is asked, its leases alone are waited out.</summary>
    [Fact]
    public void An_excluded_or_replaced_previous_primary_can_write_no_more_and_only_its_leases_are_waited_out()
    {
        ClusterConfig excluded = ConfigTransitions.Apply(Formed(4), new ConfigChange.Exclude(Member(0))).Next!;
        var restarted = new PlacedMember(Member(0).Address, Member(0).Incarnation + 1);
        ClusterConfig replaced = ConfigTransitions.Apply(excluded, new ConfigChange.Rejoin(restarted)).Next!;

        Assert.False(TakeoverWait.MayStillWrite(excluded, Member(0)));
        Assert.False(TakeoverWait.MayStillWrite(replaced, Member(0)));
        Assert.True(TakeoverWait.MayStillWrite(replaced, restarted));
        Assert.True(TakeoverWait.MayStillWrite(Formed(4), Member(0)));
        Assert.Equal(TakeoverStep.Wait, TakeoverWait.Next(DrainReply.NotAsked, leasesRanOut: false, removed: false, silentTooLong: false));
        Assert.Equal(TakeoverStep.LeasesRanOut, TakeoverWait.Next(DrainReply.NotAsked, leasesRanOut: true, removed: false, silentTooLong: false));
    }
}
