using ShardedKvs.Node.Cluster.Configuration;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Configuration;

/// <summary>The operator's forced exclusion: only when a majority of the voters is gone, and then the
/// survivors alone are the voters, so the cluster decides again (dead nodes rejoin as new members).</summary>
public sealed class ForceExcludeTests
{
    [Fact]
    public void With_two_of_three_voters_dead_the_survivor_alone_decides_and_fills_what_it_holds()
    {
        ClusterConfig formed = Formed(3);

        ClusterConfig forced = ConfigTransitions.ForceExclude(formed, [Member(1), Member(2)]).Next!;

        Assert.Equal(formed.Epoch + 1, forced.Epoch);
        Assert.Equal(Member(0), Assert.Single(forced.Voters));
        Assert.Equal(1, forced.Quorum);
        Assert.True(forced.IsLive(Member(0)));
        Assert.False(forced.IsLive(Member(1)));

        // A dead node restarted as a new incarnation is let back in by the survivor's majority of one.
        ClusterConfig rejoined = ConfigTransitions.Apply(forced, new ConfigChange.Rejoin(Member(1, incarnation: 2))).Next!;
        Assert.Contains(Member(1, incarnation: 2), rejoined.Voters);
    }

    [Fact]
    public void It_is_refused_while_a_majority_is_live_or_when_it_would_name_no_one_or_everyone()
    {
        ClusterConfig formed = Formed(5);

        Assert.Null(ConfigTransitions.ForceExclude(formed, [Member(3), Member(4)]).Next); // 3 of 5 live
        Assert.NotNull(ConfigTransitions.ForceExclude(formed, [Member(2), Member(3), Member(4)]).Next);
        Assert.Null(ConfigTransitions.ForceExclude(formed, []).Next);
        Assert.Null(ConfigTransitions.ForceExclude(formed, [.. Enumerable.Range(0, 5).Select(i => Member(i))]).Next);
        Assert.Null(ConfigTransitions.ForceExclude(formed, [Member(1, incarnation: 9), Member(2), Member(3)]).Next);
    }
}
