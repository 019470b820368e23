using System.Collections.Immutable;
using ShardedKvs.Ring;

namespace ShardedKvs.Client.Routing;

/// <summary>
/// The client's copy of the cluster's committed view and its ring. Immutable: the client swaps a
/// whole new table in when it learns a newer view, so requests read it without locks.
/// </summary>
internal sealed class RoutingTable(long epoch, ImmutableArray<string> nodes, int tokensPerNode)
{
    public long Epoch { get; } = epoch;

    public TokenRing Ring { get; } = new(nodes, tokensPerNode);

    public string ViewText { get; } = string.Join(',', nodes);

    /// <summary>The node that owns <paramref name="key"/> in this view.</summary>
    public string OwnerOf(string key) => Ring.OwnerOf(key);

    /// <summary>True when <paramref name="other"/> describes a newer view than this one.</summary>
    public bool IsOlderThan(long otherEpoch) => otherEpoch > Epoch;
}
