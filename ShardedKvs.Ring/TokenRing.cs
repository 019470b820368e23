using System.Collections.Immutable;

namespace ShardedKvs.Ring;

/// <summary>
/// A consistent-hash ring derived from a view alone: node A owns the tokens Hash(A#0..T-1), and a
/// key belongs to the node of the first token at or after its hash, wrapping around. A key's
/// replicas are the first R distinct nodes met walking clockwise from there; the first is its
/// primary (its owner). Immutable, so any number of threads read it without locks; lookups are a
/// binary search with no allocation (the replicas of every token are computed once, here).
/// </summary>
public sealed class TokenRing
{
    public const int DefaultTokensPerNode = 256;

    private readonly ulong[] _tokens;
    private readonly int[] _owners;

    // ReplicationFactor node indices per token position, primary first.
    private readonly int[] _replicas;

    /// <param name="replicationFactor">Replicas per key; the ring keeps min(it, nodes).</param>
    public TokenRing(ImmutableArray<string> nodes, int tokensPerNode = DefaultTokensPerNode, int replicationFactor = 1)
    {
        if (nodes.IsDefaultOrEmpty)
        {
            throw new ArgumentException("A ring needs at least one node.", nameof(nodes));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerNode, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        Nodes = nodes;
        TokensPerNode = tokensPerNode;
        ReplicationFactor = Math.Min(replicationFactor, nodes.Length);

        var entries = new (ulong Token, int Owner)[nodes.Length * tokensPerNode];
        for (int node = 0; node < nodes.Length; node++)
        {
            for (int i = 0; i < tokensPerNode; i++)
            {
                entries[(node * tokensPerNode) + i] = (StableHash.OfToken(nodes[node], i), node);
            }
        }

        // Ties (astronomically rare) are broken by address so every node builds the same ring
        // whatever order the view lists them in.
        Array.Sort(entries, (a, b) =>
        {
            int byToken = a.Token.CompareTo(b.Token);
            return byToken != 0 ? byToken : string.CompareOrdinal(nodes[a.Owner], nodes[b.Owner]);
        });

        _tokens = new ulong[entries.Length];
        _owners = new int[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            _tokens[i] = entries[i].Token;
            _owners[i] = entries[i].Owner;
        }

        _replicas = WalkReplicas(_owners, nodes.Length, ReplicationFactor);
    }

    public ImmutableArray<string> Nodes { get; }

    public int TokensPerNode { get; }

    /// <summary>Every token on the ring, sorted: the key ranges end at these hashes.</summary>
    public ReadOnlySpan<ulong> Tokens => _tokens;

    /// <summary>Replicas per key: the configured factor, at most the number of nodes.</summary>
    public int ReplicationFactor { get; }

    public string OwnerOf(string key) => Nodes[OwnerIndexOfHash(StableHash.Of(key))];

    public string OwnerOfHash(ulong keyHash) => Nodes[OwnerIndexOfHash(keyHash)];

    public int OwnerIndexOfHash(ulong keyHash) => _owners[TokenPositionOf(keyHash)];

    /// <summary>The indices in <see cref="Nodes"/> of the key's <see cref="ReplicationFactor"/>
    /// replicas, distinct, in ring order: the first is the primary (<see cref="OwnerIndexOfHash"/>).</summary>
    public ReadOnlySpan<int> ReplicaIndicesOfHash(ulong keyHash) =>
        _replicas.AsSpan(TokenPositionOf(keyHash) * ReplicationFactor, ReplicationFactor);

    /// <summary>The key's replicas by address, primary first.</summary>
    public string[] ReplicasOf(string key)
    {
        ReadOnlySpan<int> indices = ReplicaIndicesOfHash(StableHash.Of(key));
        var replicas = new string[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            replicas[i] = Nodes[indices[i]];
        }

        return replicas;
    }

    private int TokenPositionOf(ulong keyHash)
    {
        int index = Array.BinarySearch(_tokens, keyHash);
        if (index < 0)
        {
            index = ~index;
            if (index == _tokens.Length)
            {
                index = 0;
            }
        }

        return index;
    }

    /// <summary>For every token position, the first <paramref name="factor"/> distinct owners met
    /// walking clockwise from it.</summary>
    private static int[] WalkReplicas(int[] owners, int nodeCount, int factor)
    {
        var replicas = new int[owners.Length * factor];
        var taken = new bool[nodeCount];
        for (int start = 0; start < owners.Length; start++)
        {
            Span<int> slot = replicas.AsSpan(start * factor, factor);
            int found = 0;
            for (int step = 0; found < factor; step++)
            {
                int owner = owners[(start + step) % owners.Length];
                if (!taken[owner])
                {
                    taken[owner] = true;
                    slot[found++] = owner;
                }
            }

            foreach (int owner in slot)
            {
                taken[owner] = false;
            }
        }

        return replicas;
    }
}
