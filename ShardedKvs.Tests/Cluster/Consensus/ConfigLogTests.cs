using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Tests.Cluster.Configuration;
using ShardedKvs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>
/// <see cref="ConfigLog"/> driven over an in-memory network: racing proposers, voters that do not
/// answer, refused changes, catch-up, and observers under concurrent learning.
/// </summary>
public class ConfigLogTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Concurrent_proposals_from_many_nodes_decide_each_epoch_once_and_every_node_learns_the_same_sequence()
    {
        var network = new InMemoryConfigNetwork();
        ImmutableArray<LogNode> nodes = network.Start(5);
        ClusterConfig first = InMemoryConfigNetwork.Form(nodes);
        const int TasksPerNode = 3;
        const int ProposalsPerTask = 2;

        // Every proposal is a view of the same members in an order of its own, so it always applies
        // and each decided configuration shows whose proposal it carries.
        ImmutableArray<PlacedMember>[] views = [.. Permutations([.. first.Voters]).Skip(1).Take(nodes.Length * TasksPerNode * ProposalsPerTask)];
        using var timeout = new CancellationTokenSource(Deadline);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<(ImmutableArray<PlacedMember> View, ProposeResult Result)[]>[] proposers =
        [
            .. nodes.SelectMany((node, n) => Enumerable.Range(0, TasksPerNode).Select(t => Task.Run(async () =>
            {
                await start.Task;
                var results = new List<(ImmutableArray<PlacedMember>, ProposeResult)>();
                for (int k = 0; k < ProposalsPerTask; k++)
                {
                    ImmutableArray<PlacedMember> view = views[(((n * TasksPerNode) + t) * ProposalsPerTask) + k];
                    results.Add((view, await node.Log.ProposeAsync(new ConfigChange.ChangeView(view), timeout.Token)));
                }

                return results.ToArray();
            }))),
        ];
        start.SetResult();
        (ImmutableArray<PlacedMember> View, ProposeResult Result)[] proposed = [.. (await Task.WhenAll(proposers)).SelectMany(r => r)];

        foreach ((ImmutableArray<PlacedMember> view, ProposeResult result) in proposed)
        {
            Assert.True(result.Applied, result.Refusal);
            Assert.Equal(view.Select(v => v.Address), result.Decided!.View);
        }

        long newest = nodes.Max(n => n.Log.Latest!.Epoch);
        Assert.True(newest >= first.Epoch + proposed.Length, $"{proposed.Length} proposals applied, but the newest epoch is {newest}");
        await Eventually.WaitUntilAsync(() => Task.FromResult(nodes.All(n => n.Observer.LastEpoch == newest)), TimeSpan.FromSeconds(10), "every node to hear of the last decision");
        Dictionary<long, ClusterConfig> decided = AgreedDecisions(nodes, first);
        AssertEachFollowsFromTheOneBefore(decided, [.. views.Select(v => new ConfigChange.ChangeView(v))]);
        output.WriteLine($"{proposed.Length} proposals, {newest - first.Epoch} epochs decided");
    }

    [Fact]
    public async Task A_silent_voter_and_lost_calls_do_not_keep_a_majority_from_deciding()
    {
        int seed = FaultSeed.Choose();
        output.WriteLine($"fault seed {seed}");
        await FaultSeed.ReplayableAsync(seed, async () =>
        {
            var random = new SeededRandom(seed);
            var network = new InMemoryConfigNetwork();
            ImmutableArray<LogNode> nodes = network.Start(5, callTimeout: TimeSpan.FromMilliseconds(100));
            ClusterConfig first = InMemoryConfigNetwork.Form(nodes);
            string silent = nodes[4].Address;
            network.Lose = (from, to) => from == silent || to == silent || random.Percent(10);

            ImmutableArray<PlacedMember>[] views = [.. Permutations([.. first.Voters]).Skip(1).Take(9)];
            using var timeout = new CancellationTokenSource(Deadline);
            ProposeResult[][] results = await Task.WhenAll(Enumerable.Range(0, 3).Select(p => Task.Run(async () =>
            {
                var mine = new List<ProposeResult>();
                for (int k = 0; k < 3; k++)
                {
                    mine.Add(await nodes[p].Log.ProposeAsync(new ConfigChange.ChangeView(views[(p * 3) + k]), timeout.Token));
                }

                return mine.ToArray();
            })));

            Assert.All(results.SelectMany(r => r), r => Assert.True(r.Applied, r.Refusal));
            Assert.Same(first, nodes[4].Log.Latest); // it really heard nothing, and the others went on without it
            AssertEachFollowsFromTheOneBefore(AgreedDecisions(nodes, first), [.. views.Select(v => new ConfigChange.ChangeView(v))]);
        });
    }

    [Fact]
    public async Task A_vote_from_an_incarnation_the_configuration_does_not_name_counts_nothing()
    {
        // The configuration names node 2's previous incarnation, and node 1 does not answer: node 2's
        // answers (from the process running now) are no votes, so the proposer alone is no majority
        // and keeps trying until it is called off.
        var network = new InMemoryConfigNetwork();
        ImmutableArray<LogNode> nodes = network.Start(3, callTimeout: TimeSpan.FromMilliseconds(100));
        PlacedMember previous = nodes[2].Identity.Self with { Incarnation = nodes[2].Identity.Incarnation + 1 };
        ClusterConfig first = ConfigTransitions.Form([nodes[0].Identity.Self, nodes[1].Identity.Self, previous], replicationFactor: 3);
        foreach (LogNode node in nodes)
        {
            node.Log.Learn(first);
        }

        string silent = nodes[1].Address;
        network.Lose = (from, to) => from == silent || to == silent;
        using var calledOff = new CancellationTokenSource();
        int answeredByTheNewProcess = 0;
        network.Handled = (_, to) =>
        {
            if (to == nodes[2].Address && Interlocked.Increment(ref answeredByTheNewProcess) == 4)
            {
                calledOff.Cancel(); // it answered in two attempts at least: that was its chance to count
            }
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => nodes[0].Log.ProposeAsync(new ConfigChange.ChangeView([.. first.Voters.Reverse()]), calledOff.Token));

        Assert.All(nodes, n => Assert.Same(first, n.Log.Latest));
    }

    [Fact]
    public async Task A_change_that_does_not_apply_is_refused_and_decides_nothing()
    {
        var network = new InMemoryConfigNetwork();
        ImmutableArray<LogNode> nodes = network.Start(3);
        ClusterConfig first = InMemoryConfigNetwork.Form(nodes);
        PlacedMember formerSelf = nodes[2].Identity.Self with { Incarnation = nodes[2].Identity.Incarnation + 1 };

        ProposeResult result = await nodes[0].Log.ProposeAsync(new ConfigChange.Exclude(formerSelf), CancellationToken.None);

        Assert.False(result.Applied);
        Assert.Same(first, result.Decided);
        Assert.Equal($"{formerSelf} is not a live member at epoch 1", result.Refusal);
        Assert.All(nodes, n => Assert.Same(first, n.Log.Latest));
    }

    [Fact]
    public async Task Nothing_is_proposed_before_a_configuration_is_known()
    {
        ImmutableArray<LogNode> nodes = new InMemoryConfigNetwork().Start(1);

        ProposeResult result = await nodes[0].Log.ProposeAsync(new ConfigChange.Exclude(nodes[0].Identity.Self), CancellationToken.None);

        Assert.Equal(new ProposeResult(false, null, "No configuration has been decided yet"), result);
    }

    [Fact]
    public async Task The_same_change_proposed_by_two_nodes_at_once_is_decided_once()
    {
        var network = new InMemoryConfigNetwork();
        ImmutableArray<LogNode> nodes = network.Start(3);
        InMemoryConfigNetwork.Form(nodes);
        var exclude = new ConfigChange.Exclude(nodes[2].Identity.Self);
        using var timeout = new CancellationTokenSource(Deadline);

        ProposeResult[] results = await Task.WhenAll(
            Task.Run(() => nodes[0].Log.ProposeAsync(exclude, timeout.Token)),
            Task.Run(() => nodes[1].Log.ProposeAsync(exclude, timeout.Token)));

        // Whoever lost the race either saw its change carried (the same value) or found it done.
        Assert.Contains(results, r => r.Applied);
        Assert.All(results, r => Assert.True(r.Applied || r.Refusal is not null));
        ClusterConfig second = nodes[0].Log.Latest!;
        Assert.Equal(2, second.Epoch);
        Assert.False(second.IsLive(nodes[2].Identity.Self));
        Assert.Equal(second, nodes[1].Log.Latest);
    }

    [Fact]
    public async Task A_node_that_missed_a_decision_catches_up_from_its_peers()
    {
        var network = new InMemoryConfigNetwork();
        ImmutableArray<LogNode> nodes = network.Start(3, callTimeout: TimeSpan.FromMilliseconds(200));
        ClusterConfig first = InMemoryConfigNetwork.Form(nodes);
        string cut = nodes[2].Address;
        network.Lose = (from, to) => from == cut || to == cut;

        ProposeResult result = await nodes[0].Log.ProposeAsync(new ConfigChange.ChangeView([.. first.Voters.Reverse()]), CancellationToken.None);
        Assert.True(result.Applied, result.Refusal);
        Assert.Same(first, nodes[2].Log.Latest);

        network.Lose = (_, _) => false;
        await nodes[2].Log.CatchUpAsync(CancellationToken.None);

        Assert.Equal(result.Decided, nodes[2].Log.Latest);
        Assert.Equal([1, 2], nodes[2].Observer.Told.Select(c => c.Epoch));
    }

    [Fact]
    public async Task Catching_up_asks_the_voters_but_not_the_excluded_members()
    {
        var network = new InMemoryConfigNetwork();
        ImmutableArray<LogNode> nodes = network.Start(4);
        ClusterConfig first = InMemoryConfigNetwork.Form(nodes);
        LogNode catchingUp = nodes[0];
        var asked = new System.Collections.Concurrent.ConcurrentBag<string>();
        network.Handled = (from, to) =>
        {
            if (from == catchingUp.Address)
            {
                asked.Add(to); // only its own calls: another node proposes and tells the decision
            }
        };

        ProposeResult excluded = await nodes[1].Log.ProposeAsync(new ConfigChange.Exclude(nodes[3].Identity.Self), CancellationToken.None);
        Assert.True(excluded.Applied, excluded.Refusal);
        await Eventually.WaitUntilAsync(() => Task.FromResult(catchingUp.Log.Latest!.Epoch == first.Epoch + 1), TimeSpan.FromSeconds(10), "the decision to reach the node");
        Assert.Empty(asked);

        await catchingUp.Log.CatchUpAsync(CancellationToken.None);

        Assert.Equal([nodes[1].Address, nodes[2].Address], asked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Observers_hear_of_each_adopted_epoch_once_and_in_order_when_many_threads_learn_at_once()
    {
        int seed = FaultSeed.Choose();
        output.WriteLine($"shuffle seed {seed}");
        LogNode node = new InMemoryConfigNetwork().Start(1)[0];
        var chain = new List<ClusterConfig> { ConfigTransitionsTests.Formed(3) };
        for (int i = 0; i < 1_000; i++)
        {
            chain.Add(ConfigTransitions.Apply(chain[^1], new ConfigChange.Rejoin(ConfigTransitionsTests.Member(i % 3, incarnation: i + 10))).Next!);
        }

        // Threads of their own (not pool tasks, which a busy pool may run one after another), released
        // together by one gate.
        const int Learners = 8;
        int[] adopted = new int[Learners];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new ManualResetEventSlim();
        Thread[] learners =
        [
            .. Enumerable.Range(0, Learners).Select(t => new Thread(() =>
            {
                // Roughly ascending, locally shuffled: the threads keep racing for the same few epochs.
                ClusterConfig[] order = [.. chain];
                var random = new Random(seed + t);
                for (int i = 0; i < order.Length; i++)
                {
                    int j = Math.Min(order.Length - 1, i + random.Next(8));
                    (order[i], order[j]) = (order[j], order[i]);
                }

                start.Wait();
                foreach (ClusterConfig config in order)
                {
                    if (node.Log.Learn(config))
                    {
                        adopted[t]++;

                        // Learn returns only once the observers heard of what it adopted.
                        if (node.Observer.LastEpoch < config.Epoch)
                        {
                            failures.Enqueue($"Learn of epoch {config.Epoch} returned before the observer heard of it");
                        }
                    }
                }
            })),
        ];
        foreach (Thread learner in learners)
        {
            learner.Start();
        }

        start.Set();
        foreach (Thread learner in learners)
        {
            Assert.True(learner.Join(Deadline), "a learner did not finish");
        }

        Assert.Empty(failures);
        IReadOnlyList<ClusterConfig> told = node.Observer.Told;
        Assert.False(node.Observer.Overlapped, "the observer was called again before its previous call returned");
        Assert.Equal(adopted.Sum(), told.Count);
        Assert.All(told.Zip(told.Skip(1)), pair => Assert.True(pair.First.Epoch < pair.Second.Epoch, $"epoch {pair.Second.Epoch} told after {pair.First.Epoch}"));
        Assert.Same(chain[^1], told[^1]);
        Assert.Same(chain[^1], node.Log.Latest);
        output.WriteLine($"{told.Count} of {chain.Count} epochs adopted, by thread: {string.Join(' ', adopted)}");
    }

    /// <summary>What the nodes' observers heard, by epoch: no two nodes heard different configurations
    /// for one epoch, each heard increasing epochs, and every epoch up to the newest was heard by someone.</summary>
    private static Dictionary<long, ClusterConfig> AgreedDecisions(IEnumerable<LogNode> nodes, ClusterConfig first)
    {
        var decided = new Dictionary<long, ClusterConfig> { [first.Epoch] = first };
        foreach (LogNode node in nodes)
        {
            IReadOnlyList<ClusterConfig> told = node.Observer.Told;
            Assert.All(told.Zip(told.Skip(1)), pair => Assert.True(pair.First.Epoch < pair.Second.Epoch, $"{node.Address} heard epoch {pair.Second.Epoch} after {pair.First.Epoch}"));
            foreach (ClusterConfig config in told)
            {
                if (decided.TryGetValue(config.Epoch, out ClusterConfig? earlier))
                {
                    Assert.True(earlier.Equals(config), $"epoch {config.Epoch} decided twice, differently:\n{earlier}\n{config}");
                }
                else
                {
                    decided[config.Epoch] = config;
                }
            }
        }

        Assert.Equal(Enumerable.Range(1, decided.Count).Select(e => (long)e), decided.Keys.Order());
        return decided;
    }

    private static void AssertEachFollowsFromTheOneBefore(Dictionary<long, ClusterConfig> decided, ConfigChange[] proposed)
    {
        for (long epoch = 2; decided.TryGetValue(epoch, out ClusterConfig? config); epoch++)
        {
            ClusterConfig basis = decided[epoch - 1];
            Assert.True(
                proposed.Any(change => ConfigTransitions.Apply(basis, change).Next?.Equals(config) == true),
                $"epoch {epoch} is no proposed change applied to epoch {epoch - 1}: {config}");
        }
    }

    private static IEnumerable<ImmutableArray<PlacedMember>> Permutations(ImmutableArray<PlacedMember> members)
    {
        if (members.Length <= 1)
        {
            yield return members;
            yield break;
        }

        for (int i = 0; i < members.Length; i++)
        {
            foreach (ImmutableArray<PlacedMember> rest in Permutations(members.RemoveAt(i)))
            {
                yield return rest.Insert(0, members[i]);
            }
        }
    }
}
