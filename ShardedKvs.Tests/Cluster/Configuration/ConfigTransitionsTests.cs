using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Cluster.Configuration;

/// <summary>The rules of the replicated configuration (DESIGN.md section 8), one decision at a time.</summary>
public class ConfigTransitionsTests
{
    private const int Tokens = 64;

    private static readonly string[] Keys = [.. Enumerable.Range(0, 2_000).Select(i => $"key-{i}")];

    internal static PlacedMember Member(int i, long incarnation = 1) => new($"localhost:{13801 + i}", incarnation);

    internal static ClusterConfig Formed(int nodes, int replicationFactor = 3) =>
        ConfigTransitions.Form([.. Enumerable.Range(0, nodes).Select(i => Member(i))], replicationFactor);

    private static ClusterConfig Apply(ClusterConfig config, ConfigChange change)
    {
        ConfigDecision decision = ConfigTransitions.Apply(config, change);
        Assert.True(decision.IsDecided, decision.Refusal);
        Assert.Equal(config.Epoch + 1, decision.Next!.Epoch);
        return decision.Next;
    }

    /// <summary>Every source reports the current fill, which switches the placement to the target.</summary>
    internal static ClusterConfig FinishFill(ClusterConfig config)
    {
        foreach (PlacedMember source in config.Sources)
        {
            config = ConfigTransitions.Apply(config, new ConfigChange.ReportFilled(source, config.FillEpoch)).Next!;
        }

        Assert.False(config.IsFilling);
        return config;
    }

    [Fact]
    public void The_next_configuration_carries_the_changes_trace_context_which_equality_ignores()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        ClusterConfig formed = Formed(4);

        ClusterConfig traced = Apply(formed, new ConfigChange.Exclude(Member(1)) { TraceParent = traceParent });
        ClusterConfig untraced = Apply(formed, new ConfigChange.Exclude(Member(1)));

        Assert.Equal(traceParent, traced.TraceParent);
        Assert.Null(untraced.TraceParent);
        Assert.True(traced.Equals(untraced), "two proposers of one change find it decided whichever traced it");
    }

    [Fact]
    public void A_formed_cluster_places_every_member_and_fills_nothing()
    {
        ClusterConfig config = Formed(4);

        Assert.Equal(1, config.Epoch);
        Assert.False(config.IsFilling);
        Assert.Equal(config.Placement.ToArray(), config.Sources.ToArray());
        Assert.Equal(4, config.Voters.Length);
        Assert.Equal(3, config.Quorum);
    }

    [Fact]
    public void Excluding_a_member_makes_its_next_replica_primary_without_moving_data()
    {
        ClusterConfig before = Formed(5);
        ClusterConfig after = Apply(before, new ConfigChange.Exclude(Member(2)));
        var was = new PlacementMap(before, Tokens);
        var now = new PlacementMap(after, Tokens);

        Assert.False(after.IsInSync(Member(2)));
        Assert.True(after.IsFilling);
        Assert.Equal(after.Epoch, after.FillEpoch);
        Assert.DoesNotContain(Member(2), after.Target);
        Assert.DoesNotContain(Member(2), after.Voters);
        foreach (ulong hash in Keys.Select(StableHash.Of))
        {
            PlacedMember oldPrimary = was.PrimaryOf(hash)!.Value;
            PlacedMember newPrimary = now.PrimaryOf(hash)!.Value;
            if (oldPrimary != Member(2))
            {
                Assert.Equal(oldPrimary, newPrimary);
            }
            else
            {
                // The next replica was in sync before: it already holds every acknowledged write.
                Assert.Equal(was.Placement.Ring.ReplicaIndicesOfHash(hash)[1], now.Placement.Ring.ReplicaIndicesOfHash(hash)[1]);
                Assert.NotEqual(Member(2), newPrimary);
            }

            Assert.True(now.InSyncCountOf(hash) >= 2);
        }
    }

    [Fact]
    public void Only_the_live_incarnation_can_be_excluded_and_only_once()
    {
        ClusterConfig config = Formed(3);

        Assert.False(ConfigTransitions.Apply(config, new ConfigChange.Exclude(Member(1, incarnation: 7))).IsDecided);
        ClusterConfig excluded = Apply(config, new ConfigChange.Exclude(Member(1)));
        Assert.False(ConfigTransitions.Apply(excluded, new ConfigChange.Exclude(Member(1))).IsDecided);
    }

    [Fact]
    public void The_fill_switches_only_when_every_source_reported_that_fill()
    {
        ClusterConfig config = Apply(Formed(5), new ConfigChange.Exclude(Member(4)));
        PlacedMember[] sources = [.. config.Sources];
        Assert.Equal(4, sources.Length);

        Assert.False(ConfigTransitions.Apply(config, new ConfigChange.ReportFilled(sources[0], config.FillEpoch - 1)).IsDecided);
        Assert.False(ConfigTransitions.Apply(config, new ConfigChange.ReportFilled(Member(4), config.FillEpoch)).IsDecided);
        foreach (PlacedMember source in sources[..^1])
        {
            config = Apply(config, new ConfigChange.ReportFilled(source, config.FillEpoch));
            Assert.True(config.IsFilling);
        }

        Assert.False(ConfigTransitions.Apply(config, new ConfigChange.ReportFilled(sources[0], config.FillEpoch)).IsDecided);
        config = Apply(config, new ConfigChange.ReportFilled(sources[^1], config.FillEpoch));

        Assert.False(config.IsFilling);
        Assert.Equal(sources, config.Placement.ToArray());
        Assert.Contains(Member(4).Address, config.View); // still the operator's member, excluded until it comes back
        Assert.True(config.MemberAt(Member(4).Address)!.Excluded);
    }

    [Fact]
    public void A_new_change_restarts_the_fill_so_old_reports_count_for_nothing()
    {
        ClusterConfig config = Apply(Formed(5), new ConfigChange.Exclude(Member(4)));
        long firstFill = config.FillEpoch;
        config = Apply(config, new ConfigChange.ReportFilled(config.Sources[0], firstFill));
        config = Apply(config, new ConfigChange.Exclude(Member(3)));

        Assert.True(config.IsFilling);
        Assert.NotEqual(firstFill, config.FillEpoch);
        Assert.Empty(config.Filled);
        Assert.False(ConfigTransitions.Apply(config, new ConfigChange.ReportFilled(config.Sources[1], firstFill)).IsDecided);
    }

    [Fact]
    public void A_restarted_member_rejoins_as_a_learner_and_is_in_sync_only_after_its_fill()
    {
        ClusterConfig config = FinishFill(Apply(Formed(4), new ConfigChange.Exclude(Member(1))));
        Assert.False(ConfigTransitions.Apply(config, new ConfigChange.Rejoin(Member(1))).IsDecided); // the dead incarnation may not

        config = Apply(config, new ConfigChange.Rejoin(Member(1, incarnation: 2)));
        var filling = new PlacementMap(config, Tokens);

        Assert.True(config.IsFilling);
        Assert.False(config.IsInSync(Member(1, incarnation: 2)));
        Assert.Contains(Member(1, incarnation: 2), config.Voters);
        int learnerOf = Keys.Select(StableHash.Of).Count(hash => filling.HoldsCopy(Member(1, incarnation: 2), hash));
        Assert.True(learnerOf > Keys.Length / 2, $"a rejoined member of 4 with R=3 should receive about 3/4 of the keys, got {learnerOf}");
        Assert.All(Keys.Select(StableHash.Of), hash => Assert.NotEqual(Member(1, incarnation: 2), filling.PrimaryOf(hash)));

        config = FinishFill(config);
        Assert.True(config.IsInSync(Member(1, incarnation: 2)));
    }

    [Fact]
    public void A_member_restarted_before_its_exclusion_is_out_of_sync_at_once()
    {
        ClusterConfig config = Apply(Formed(3), new ConfigChange.Rejoin(Member(0, incarnation: 9)));

        Assert.Contains(Member(0), config.Placement);
        Assert.False(config.IsInSync(Member(0)));
        Assert.False(config.IsInSync(Member(0, incarnation: 9)));
        Assert.DoesNotContain(Member(0), config.Sources);
        var map = new PlacementMap(config, Tokens);
        Assert.All(Keys.Select(StableHash.Of), hash => Assert.NotEqual(Member(0).Address, map.PrimaryOf(hash)!.Value.Address));
    }

    [Fact]
    public void A_view_change_adds_learners_and_keeps_primaries_until_the_switch()
    {
        ClusterConfig before = Formed(3);
        ClusterConfig config = Apply(before, new ConfigChange.ChangeView([Member(0), Member(1), Member(2), Member(3)]));
        var was = new PlacementMap(before, Tokens);
        var filling = new PlacementMap(config, Tokens);

        Assert.True(config.IsFilling);
        Assert.Contains(Member(3), config.Voters);
        foreach (ulong hash in Keys.Select(StableHash.Of))
        {
            Assert.Equal(was.PrimaryOf(hash), filling.PrimaryOf(hash));
        }

        ClusterConfig switched = FinishFill(config);
        var after = new PlacementMap(switched, Tokens);
        Assert.Contains(Keys.Select(StableHash.Of), hash => after.PrimaryOf(hash) == Member(3));
    }

    /// <summary>The sources of a fill that restores lost copies hold back a moment after a failover
    /// (<c>Kvs__FillDelayAfterFailover</c>); view changes and rejoins lost nothing and copy at once.</summary>
    [Fact]
    public void Only_a_fill_after_an_exclusion_or_a_restart_restores_lost_copies()
    {
        ClusterConfig excluded = Apply(Formed(4), new ConfigChange.Exclude(Member(1)));
        ClusterConfig restarted = Apply(Formed(3), new ConfigChange.Rejoin(Member(0, incarnation: 9)));
        ClusterConfig grown = Apply(Formed(3), new ConfigChange.ChangeView([Member(0), Member(1), Member(2), Member(3)]));
        ClusterConfig rejoined = Apply(FinishFill(excluded), new ConfigChange.Rejoin(Member(1, incarnation: 2)));
        ClusterConfig excludedWhileGrowing = Apply(grown, new ConfigChange.Exclude(Member(2)));

        Assert.True(excluded.RestoresLostCopies);
        Assert.True(restarted.RestoresLostCopies);
        Assert.True(excludedWhileGrowing.RestoresLostCopies);
        Assert.False(grown.RestoresLostCopies);
        Assert.False(rejoined.RestoresLostCopies);
        Assert.False(FinishFill(excluded).RestoresLostCopies);
    }

    /// <summary>A fill is held back only when no key needs its switch to be writable again: the
    /// configuration's count of lost members bounds, for every key on the ring, how many of its replicas
    /// are out of sync.</summary>
    [Theory]
    [InlineData(5, 1, true)]
    [InlineData(5, 2, false)]
    [InlineData(3, 1, true)]
    [InlineData(3, 2, false)]
    public void A_failover_counts_every_key_writable_only_when_each_keeps_the_replicas_a_write_needs(int nodes, int excluded, bool writable)
    {
        const int minInSync = 2;
        ClusterConfig config = Formed(nodes);
        for (int i = 1; i <= excluded; i++)
        {
            config = Apply(config, new ConfigChange.Exclude(Member(i)));
        }

        var map = new PlacementMap(config, Tokens);

        Assert.Equal(excluded, config.LostPlacedMembers);
        Assert.Equal(writable, config.EveryKeyWritable(minInSync));
        int fewest = Keys.Select(StableHash.Of).Min(map.InSyncCountOf);
        Assert.Equal(writable, fewest >= config.NeededInSync(minInSync));
    }

    [Fact]
    public void A_removed_member_stays_a_source_until_the_switch_then_is_forgotten()
    {
        ClusterConfig config = Apply(Formed(4), new ConfigChange.ChangeView([Member(0), Member(1), Member(2)]));

        Assert.DoesNotContain(Member(3).Address, config.View);
        Assert.Contains(Member(3), config.Sources);

        config = FinishFill(config);
        Assert.Null(config.MemberAt(Member(3).Address));
        Assert.DoesNotContain(Member(3), config.Placement);
    }

    [Fact]
    public void An_exclusion_that_could_take_the_last_in_sync_copy_of_a_key_is_refused()
    {
        // Three of five placed members out of sync could be all three replicas of some key.
        ClusterConfig config = Apply(Formed(5), new ConfigChange.Exclude(Member(0)));
        config = Apply(config, new ConfigChange.Exclude(Member(1)));

        ConfigDecision third = ConfigTransitions.Apply(config, new ConfigChange.Exclude(Member(2)));

        Assert.False(third.IsDecided);
        Assert.Contains("no in-sync copy", third.Refusal);

        // Once the fill has put every key back on three in-sync members, a member may go again.
        config = FinishFill(config);
        Assert.True(ConfigTransitions.Apply(config, new ConfigChange.Exclude(Member(2))).IsDecided);
    }

    [Fact]
    public void The_last_copy_is_never_excluded_with_one_copy_per_key()
    {
        ClusterConfig config = Formed(2, replicationFactor: 1);

        Assert.False(ConfigTransitions.Apply(config, new ConfigChange.Exclude(Member(0))).IsDecided);
    }
}
