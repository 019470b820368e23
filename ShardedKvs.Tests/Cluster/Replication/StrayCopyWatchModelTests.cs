using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Ring;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>
/// The claim behind every walk <see cref="StrayCopyWatch"/> lets a node leave out, checked against a
/// model of one node's store over random histories of exclusions, rejoins, view changes and fills
/// (seeded): whenever the watch says a walk would find nothing, walking the model's store finds nothing.
/// The model's store takes, under each configuration the node adopts, a random share of the keys it
/// may be sent then (those it holds a copy of: in-sync or learner), drops what the walks drop when
/// they run, and is emptied when the node is excluded and starts over as a new incarnation.
/// </summary>
public sealed class StrayCopyWatchModelTests(ITestOutputHelper output)
{
    private const int TokensPerNode = 16;
    private static readonly ulong[] KeyHashes = [.. Enumerable.Range(0, 1500).Select(i => StableHash.Of($"key-{i}"))];

    [Fact]
    public async Task A_walk_the_watch_leaves_out_would_have_dropped_nothing()
    {
        int seed = FaultSeed.Choose();
        output.WriteLine($"seed {seed} (replay with {FaultSeed.Variable}={seed})");
        await FaultSeed.ReplayableAsync(seed, () =>
        {
            RunHistories(new Random(seed));
            return Task.CompletedTask;
        });
    }

    private void RunHistories(Random random)
    {
        int skippedCleanups = 0, skippedLeftoverWalks = 0, walks = 0;
        for (int history = 0; history < 60; history++)
        {
            var node = new ModelNode(random, Member(0));
            ClusterConfig config = Formed(random.Next(3, 6));
            node.Adopt(config);
            for (int step = 0; step < 40; step++)
            {
                if (RandomChange(random, config, node.Self) is not { } change)
                {
                    continue;
                }

                ConfigDecision decision = ConfigTransitions.Apply(config, change);
                if (decision.Next is not { } next)
                {
                    continue;
                }

                config = next;
                if (config.MemberAt(node.Self.Address) is { Excluded: true })
                {
                    // Cut off and excluded: it empties its store and asks to rejoin as a new incarnation.
                    node.StartOver();
                    config = ConfigTransitions.Apply(config, new ConfigChange.Rejoin(node.Self)).Next!;
                }

                if (random.Next(5) > 0)
                {
                    node.Adopt(config); // otherwise it learns a later decision first and never runs this one
                }
            }

            skippedCleanups += node.SkippedCleanups;
            skippedLeftoverWalks += node.SkippedLeftoverWalks;
            walks += node.Walks;
        }

        output.WriteLine($"cleanups left out {skippedCleanups}, walks for leftovers left out {skippedLeftoverWalks}, walks run {walks}");
        Assert.True(skippedCleanups > 0, "no history let the watch leave out a cleanup, so nothing was checked");
    }

    private static ConfigChange? RandomChange(Random random, ClusterConfig config, PlacedMember self)
    {
        ConfigMember[] members = [.. config.Members];
        switch (random.Next(10))
        {
            case < 4 when config.IsFilling:
                PlacedMember[] pending = [.. config.Sources.Where(s => !config.Filled.Contains(s))];
                return pending.Length == 0 ? null : new ConfigChange.ReportFilled(pending[random.Next(pending.Length)], config.FillEpoch);
            case < 6:
                ConfigMember excluded = members[random.Next(members.Length)];
                return new ConfigChange.Exclude(excluded.Placed);
            case < 7:
                ConfigMember[] gone = [.. members.Where(m => m.Excluded)];
                return gone.Length == 0 ? null : new ConfigChange.Rejoin(new PlacedMember(gone[0].Address, gone[0].Incarnation + 1));
            default:
                ImmutableArray<PlacedMember> view = [.. config.View.Select(a => config.MemberAt(a)!.Placed)];
                // A node new to the cluster, or one an earlier view change took out while a fill still
                // places it (back in the same incarnation, it undoes that fill's target).
                PlacedMember[] addable = [.. Enumerable.Range(0, 6)
                    .Select(i => config.MemberAt(Member(i).Address) is { } known ? known.Placed : Member(i))
                    .Where(m => !view.Any(v => v.Address == m.Address) && config.MemberAt(m.Address) is not { Excluded: true })];
                if (random.Next(2) == 0 && addable.Length > 0)
                {
                    return new ConfigChange.ChangeView(view.Add(addable[random.Next(addable.Length)]));
                }

                PlacedMember[] removable = [.. view.Where(m => m.Address != self.Address)];
                return view.Length <= 2 || removable.Length == 0 ? null : new ConfigChange.ChangeView(view.Remove(removable[random.Next(removable.Length)]));
        }
    }

    /// <summary>One node as the watch sees it: the configurations it adopts, and the key hashes its
    /// store holds, changed the way the node's fills, writes and walks change them.</summary>
    private sealed class ModelNode(Random random, PlacedMember self)
    {
        private readonly StrayCopyWatch _watch = new();
        private readonly HashSet<ulong> _store = [];
        private ClusterConfig? _running;

        public PlacedMember Self { get; private set; } = self;

        public int SkippedCleanups { get; private set; }

        public int SkippedLeftoverWalks { get; private set; }

        public int Walks { get; private set; }

        public void StartOver()
        {
            _store.Clear();
            Self = Self with { Incarnation = Self.Incarnation + 1 };
        }

        public void Adopt(ClusterConfig config)
        {
            var map = new PlacementMap(config, TokensPerNode);
            if (config.IsFilling && _running?.FillEpoch != config.FillEpoch)
            {
                // FillRunner.BeforeFill: drop what this node holds of keys it is not in sync for.
                if (_watch.HasNoLeftovers(_running, config, Self))
                {
                    SkippedLeftoverWalks++;
                    Assert.All(_store, hash => Assert.True(map.IsInSyncReplica(Self, hash), $"a leftover of {hash:x} was kept at the fill of epoch {config.Epoch}"));
                }
                else
                {
                    Walks++;
                    _store.RemoveWhere(hash => !map.IsInSyncReplica(Self, hash));
                }
            }

            bool switched = _running is not null && !ClusterConfig.SameMembers(_running.Placement, config.Placement);
            _running = config;
            _watch.Adopted(config, Self, storeEmpty: _store.Count == 0);

            // Writes and fill batches under this configuration: some of the keys it holds a copy of.
            foreach (ulong hash in KeyHashes)
            {
                if (map.HoldsCopy(Self, hash) && random.Next(3) == 0)
                {
                    _store.Add(hash);
                }
            }

            if (!switched || config.IsFilling)
            {
                return;
            }

            if (_watch.HoldsOnlyInSyncCopies(config))
            {
                SkippedCleanups++;
                Assert.All(_store, hash => Assert.True(map.HoldsCopy(Self, hash), $"a copy of {hash:x} that {Self} no longer holds was kept at the switch of epoch {config.Epoch}"));
            }
            else if (random.Next(4) > 0)
            {
                // FillRunner.Cleanup; otherwise a newer adoption cuts it short before it finishes.
                Walks++;
                _store.RemoveWhere(hash => !map.HoldsCopy(Self, hash));
                _watch.CleanupFinished(config, Self);
            }
        }
    }
}
