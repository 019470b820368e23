using System.Collections.Immutable;

namespace ShardedKvs.Ring;

/// <summary>
/// Which replica serves a key when some replicas cannot: the ring of <see cref="Nodes"/> places every
/// key's replicas, and the key's primary is the first of them that is in sync (a node that died, or
/// came back empty, is skipped). So when a primary dies its next replica takes over, and nothing moves.
/// Node and client compute it alike from the view; immutable, lookups allocate nothing.
/// </summary>
public sealed class ReplicaPlacement
{
    private readonly bool[] _inSync;

    /// <param name="outOfSync">Nodes of <paramref name="nodes"/> that are placed but hold no complete copies.</param>
    public ReplicaPlacement(ImmutableArray<string> nodes, int tokensPerNode, int replicationFactor, IEnumerable<string>? outOfSync = null)
    {
        Ring = new TokenRing(nodes, tokensPerNode, replicationFactor);
        var excluded = new HashSet<string>(outOfSync ?? [], StringComparer.OrdinalIgnoreCase);
        _inSync = [.. nodes.Select(n => !excluded.Contains(n))];
    }

    public TokenRing Ring { get; }

    public ImmutableArray<string> Nodes => Ring.Nodes;

    public bool IsInSync(int nodeIndex) => _inSync[nodeIndex];

    /// <summary>The index of the key's primary: its first in-sync replica, or -1 when none is left.</summary>
    public int PrimaryIndexOfHash(ulong keyHash)
    {
        foreach (int replica in Ring.ReplicaIndicesOfHash(keyHash))
        {
            if (_inSync[replica])
            {
                return replica;
            }
        }

        return -1;
    }

    /// <summary>How many of the key's replicas are in sync.</summary>
    public int InSyncCountOfHash(ulong keyHash)
    {
        int count = 0;
        foreach (int replica in Ring.ReplicaIndicesOfHash(keyHash))
        {
            count += _inSync[replica] ? 1 : 0;
        }

        return count;
    }
}
