using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Ring;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Configuration;

/// <summary>
/// Seeded random walks through the configuration rules: nodes die, come back empty, are added and
/// removed, and fills report, in any order. After every decision the two promises the data path
/// relies on must hold for every key.
/// </summary>
public class ConfigInvariantTests(ITestOutputHelper output)
{
    private const int Tokens = 32;
    private const int Steps = 300;

    private static readonly ulong[] Hashes = [.. Enumerable.Range(0, 500).Select(i => StableHash.Of($"key-{i}"))];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void No_decision_promotes_a_replica_that_missed_writes_or_loses_a_surviving_copy(int seed)
    {
        output.WriteLine($"seed {seed} (replay: run this case alone)");
        var random = new Random(seed);
        ClusterConfig config = ConfigTransitionsTests.Formed(5);
        long nextIncarnation = 2;
        int nextAddress = 5;
        for (int step = 0; step < Steps; step++)
        {
            ConfigChange change = RandomChange(config, random, ref nextIncarnation, ref nextAddress);
            ConfigDecision decision = ConfigTransitions.Apply(config, change);
            if (!decision.IsDecided)
            {
                continue;
            }

            ClusterConfig next = decision.Next!;
            string context = $"seed {seed}, step {step}: {change} on {config}";
            CheckSwitch(config, next, change, context);
            CheckStep(config, next, context);
            config = next;
        }
    }

    /// <summary>The placement changes only when every source has copied what its learners lacked,
    /// or when no source is left at all.</summary>
    private static void CheckSwitch(ClusterConfig before, ClusterConfig after, ConfigChange change, string context)
    {
        if (before.Placement.SequenceEqual(after.Placement))
        {
            return;
        }

        PlacedMember[] reported = [.. before.Filled, .. change is ConfigChange.ReportFilled r ? [r.Source] : Array.Empty<PlacedMember>()];
        bool everySourceReported = change is ConfigChange.ReportFilled && before.Sources.All(reported.Contains);
        bool noSourceLeft = !after.Members.Any(m => before.Placement.Contains(m.Placed) && after.IsLive(m.Placed));
        Assert.True(everySourceReported || noSourceLeft, $"the placement switched before the fill was done; {context}");
    }

    private static void CheckStep(ClusterConfig before, ClusterConfig after, string context)
    {
        if (before.Placement.IsEmpty || after.Placement.IsEmpty)
        {
            return;
        }

        var was = new PlacementMap(before, Tokens);
        var now = new PlacementMap(after, Tokens);
        var writeSet = new PlacedMember[was.MaxWriteSet];
        foreach (ulong hash in Hashes)
        {
            int writers = was.WriteSetOf(hash, writeSet);
            PlacedMember[] received = writeSet[..writers];

            // When every copy of a key died with its nodes the key is lost, and nothing can be promised.
            if (!received.Take(was.InSyncCountOf(hash)).Any(after.IsLive))
            {
                continue;
            }

            // A key that kept a live copy keeps a primary (failover moves no data)...
            Assert.True(now.PrimaryOf(hash) is not null, $"a key with a surviving copy lost its primary; {context}");

            // ...and in sync now means it received every write before: it was in sync or a learner.
            foreach (int replica in now.Placement.Ring.ReplicaIndicesOfHash(hash))
            {
                PlacedMember member = after.Placement[replica];
                if (after.IsInSync(member))
                {
                    Assert.True(received.Contains(member), $"{member} is in sync for a key it did not receive; {context}");
                }
            }
        }
    }

    private static ConfigChange RandomChange(ClusterConfig config, Random random, ref long nextIncarnation, ref int nextAddress)
    {
        ConfigMember[] live = [.. config.Members.Where(m => !m.Excluded)];
        int roll = random.Next(100);
        if (roll < 45 && config.IsFilling && config.Sources.Length > 0)
        {
            return new ConfigChange.ReportFilled(config.Sources[random.Next(config.Sources.Length)], config.FillEpoch);
        }

        if (roll < 65 && live.Length > 2)
        {
            return new ConfigChange.Exclude(live[random.Next(live.Length)].Placed);
        }

        if (roll < 80)
        {
            ConfigMember[] inView = [.. config.Members.Where(m => config.View.Contains(m.Address))];
            return new ConfigChange.Rejoin(new PlacedMember(inView[random.Next(inView.Length)].Address, nextIncarnation++));
        }

        var view = config.View.Select(a => config.MemberAt(a)!.Placed).ToList();
        if (random.Next(2) == 0 || view.Count < 3)
        {
            view.Add(new PlacedMember($"localhost:{13801 + nextAddress++}", nextIncarnation++));
        }
        else
        {
            view.RemoveAt(random.Next(view.Count));
        }

        return new ConfigChange.ChangeView([.. view]);
    }
}
