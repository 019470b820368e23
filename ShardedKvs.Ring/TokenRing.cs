using System.Collections.Immutable;

namespace ShardedKvs.Ring;

/// <summary>
/// A consistent-hash ring derived from a view alone: node A owns the tokens Hash(A#0..T-1), and a
/// key belongs to the node of the first token at or after its hash, wrapping around. Immutable, so
/// any number of threads read it without locks; lookup is a binary search with no allocation.
/// </summary>
public sealed class TokenRing
{
    public const int DefaultTokensPerNode = 256;

    private readonly ulong[] _tokens;
    private readonly int[] _owners;

    public TokenRing(ImmutableArray<string> nodes, int tokensPerNode = DefaultTokensPerNode)
    {
        if (nodes.IsDefaultOrEmpty)
        {
            throw new ArgumentException("A ring needs at least one node.", nameof(nodes));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerNode, 1);
        Nodes = nodes;
        TokensPerNode = tokensPerNode;

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
    }

    public ImmutableArray<string> Nodes { get; }

    public int TokensPerNode { get; }

    public string OwnerOf(string key) => Nodes[OwnerIndexOfHash(StableHash.Of(key))];

    public string OwnerOfHash(ulong keyHash) => Nodes[OwnerIndexOfHash(keyHash)];

    public int OwnerIndexOfHash(ulong keyHash)
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

        return _owners[index];
    }
}
