using System.Collections.Immutable;
using ShardedKvs.Ring;
using Xunit.Abstractions;

namespace ShardedKvs.Tests.Ring;

/// <summary>DESIGN.md section 8, placement: a key's replicas are the R distinct nodes met walking
/// clockwise from its hash, the first being its primary.</summary>
public class ReplicaPlacementTests(ITestOutputHelper output)
{
    private const int KeyCount = 50_000;

    private static readonly string[] Keys = [.. Enumerable.Range(0, KeyCount).Select(i => $"key-{i}")];

    private static ImmutableArray<string> View(int nodes) =>
        [.. Enumerable.Range(0, nodes).Select(i => $"localhost:{13801 + i}")];

    [Fact]
    public void Replicas_are_the_first_distinct_nodes_clockwise_computed_the_slow_way()
    {
        const int tokensPerNode = 8;
        ImmutableArray<string> nodes = View(5);
        var ring = new TokenRing(nodes, tokensPerNode, replicationFactor: 3);
        var tokens = nodes
            .SelectMany(node => Enumerable.Range(0, tokensPerNode).Select(i => (Token: StableHash.OfToken(node, i), Node: node)))
            .OrderBy(t => t.Token)
            .ToArray();

        string[] Expected(ulong hash)
        {
            int start = Array.FindIndex(tokens, t => t.Token >= hash);
            start = start < 0 ? 0 : start;
            var replicas = new List<string>();
            for (int step = 0; replicas.Count < 3; step++)
            {
                string node = tokens[(start + step) % tokens.Length].Node;
                if (!replicas.Contains(node))
                {
                    replicas.Add(node);
                }
            }

            return [.. replicas];
        }

        foreach (string key in Keys.Take(5_000))
        {
            Assert.Equal(Expected(StableHash.Of(key)), ring.ReplicasOf(key));
        }

        foreach ((ulong token, _) in tokens)
        {
            string[] viaIndices = [.. ring.ReplicaIndicesOfHash(token).ToArray().Select(i => nodes[i])];
            Assert.Equal(Expected(token), viaIndices);
        }
    }

    [Fact]
    public void The_first_replica_is_the_owner()
    {
        var ring = new TokenRing(View(6), replicationFactor: 3);
        foreach (string key in Keys.Take(10_000))
        {
            Assert.Equal(ring.OwnerOf(key), ring.ReplicasOf(key)[0]);
        }
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(2, 3, 2)]
    [InlineData(3, 3, 3)]
    [InlineData(5, 3, 3)]
    [InlineData(5, 1, 1)]
    public void The_factor_is_at_most_the_node_count(int nodes, int factor, int expected)
    {
        var ring = new TokenRing(View(nodes), replicationFactor: factor);

        Assert.Equal(expected, ring.ReplicationFactor);
        foreach (string key in Keys.Take(1_000))
        {
            string[] replicas = ring.ReplicasOf(key);
            Assert.Equal(expected, replicas.Length);
            Assert.Equal(expected, replicas.Distinct().Count());
        }
    }

    // Every node holds about R/N of the keys, and adding one node to N copies about R*K/(N+1) keys
    // (DESIGN.md section 8), all of them onto the new node.
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(6)]
    public void Adding_a_node_copies_about_R_K_over_N_plus_1_keys_onto_it(int nodes)
    {
        const int factor = 3;
        ImmutableArray<string> before = View(nodes);
        string added = $"localhost:{13801 + nodes}";
        var oldRing = new TokenRing(before, replicationFactor: factor);
        var newRing = new TokenRing(before.Add(added), replicationFactor: factor);

        long copies = 0;
        foreach (string key in Keys)
        {
            string[] oldReplicas = oldRing.ReplicasOf(key);
            foreach (string replica in newRing.ReplicasOf(key).Where(r => !oldReplicas.Contains(r)))
            {
                Assert.Equal(added, replica);
                copies++;
            }
        }

        double ideal = (double)factor * KeyCount / (nodes + 1);
        output.WriteLine($"{nodes} -> {nodes + 1} nodes, R={factor}: copied {copies}, R*K/(N+1) = {ideal:F0}, ratio {copies / ideal:F3}");
        Assert.InRange(copies, ideal * 0.85, ideal * 1.15);
    }

    [Fact]
    public void Removing_a_node_keeps_the_others_in_order_and_takes_the_next_one()
    {
        ImmutableArray<string> view = View(6);
        const string removed = "localhost:13803";
        var full = new TokenRing(view, replicationFactor: 3);
        var without = new TokenRing(view.Remove(removed), replicationFactor: 3);

        foreach (string key in Keys.Take(10_000))
        {
            string[] before = full.ReplicasOf(key);
            string[] after = without.ReplicasOf(key);
            string[] survivors = [.. before.Where(r => r != removed)];

            // The surviving replicas stay, in the same order (so the next replica of a removed
            // primary becomes primary); a new node joins at the end only when one was removed.
            Assert.Equal(survivors, after[..survivors.Length]);
            Assert.Equal(before.Contains(removed) ? 1 : 0, after.Length - survivors.Length);
        }
    }

    [Fact]
    public void Replica_lookup_allocates_nothing()
    {
        var ring = new TokenRing(View(10), replicationFactor: 3);
        ulong[] hashes = [.. Keys.Take(100).Select(k => StableHash.Of(k))];
        int sink = 0;
        for (int i = 0; i < 10_000; i++)
        {
            sink += ring.ReplicaIndicesOfHash(hashes[i % hashes.Length])[^1];
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            sink += ring.ReplicaIndicesOfHash(hashes[i % hashes.Length])[^1];
        }

        Assert.True(sink >= 0);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
