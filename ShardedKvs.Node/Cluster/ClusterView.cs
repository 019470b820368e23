using System.Collections.Immutable;
using ShardedKvs.Node.Ring;

namespace ShardedKvs.Node.Cluster;

/// <summary>One numbered view of the cluster: its members in order and the ring they form.</summary>
public sealed class ClusterView
{
    public ClusterView(long epoch, ImmutableArray<string> nodes, int tokensPerNode)
    {
        Epoch = epoch;
        Nodes = nodes;
        Ring = new TokenRing(nodes, tokensPerNode);
        Text = string.Join(',', nodes);
    }

    public long Epoch { get; }

    public ImmutableArray<string> Nodes { get; }

    public TokenRing Ring { get; }

    /// <summary>The view as written in requests: "h1:p1,h2:p2".</summary>
    public string Text { get; }

    public bool Contains(string address) => IndexOf(address) >= 0;

    public int IndexOf(string address)
    {
        for (int i = 0; i < Nodes.Length; i++)
        {
            if (string.Equals(Nodes[i], address, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    public bool SameMembersAs(ImmutableArray<string> nodes) =>
        nodes.Length == Nodes.Length && nodes.SequenceEqual(Nodes, StringComparer.OrdinalIgnoreCase);

    public override string ToString() => $"epoch {Epoch}: {Text}";
}
