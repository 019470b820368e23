using System.Collections.Immutable;
using ShardedKvs.Ring;

namespace ShardedKvs.Node.Cluster.Membership;

/// <summary>One numbered view of the cluster: its members in order and the ring they form.</summary>
public sealed class ClusterView
{
    private readonly bool[] _unavailable;

    /// <param name="unavailable">Members that went down while a view change moved keys to them: their
    /// ranges answer 503 until the next view change, because keys meant for them may still sit at
    /// their previous owners.</param>
    public ClusterView(long epoch, ImmutableArray<string> nodes, int tokensPerNode, IEnumerable<string>? unavailable = null)
    {
        Epoch = epoch;
        Nodes = nodes;
        Ring = new TokenRing(nodes, tokensPerNode);
        Text = string.Join(',', nodes);
        _unavailable = nodes.Select(n => unavailable?.Contains(n, StringComparer.OrdinalIgnoreCase) ?? false).ToArray();
        Unavailable = [.. nodes.Where((_, i) => _unavailable[i])];
    }

    /// <summary>Members whose key ranges are unavailable until the next view change.</summary>
    public ImmutableArray<string> Unavailable { get; }

    public bool IsUnavailable(int nodeIndex) => _unavailable[nodeIndex];

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
