using System.Collections.Immutable;
using ShardedKvs.Client.Transport;
using ShardedKvs.Ring;

namespace ShardedKvs.Client.Routing;

/// <summary>
/// The client's copy of the cluster's committed view and its placement, computed with the nodes' own
/// code (<see cref="ReplicaPlacement"/>): a key's primary is its first in-sync replica on the ring of
/// the placed members, so after a node is excluded its keys go to their next replica, and a learner
/// is never sent a key. A one-copy cluster (no replication fields in the view) is the same with R = 1
/// and every view member in sync. Immutable: the client swaps a whole new table in when it learns a
/// newer view, so requests read it without locks.
/// </summary>
internal sealed class RoutingTable
{
    private readonly ImmutableDictionary<string, string> _memberStates;

    private RoutingTable(long epoch, ImmutableArray<string> view, ReplicaPlacement placement, ImmutableDictionary<string, string> memberStates)
    {
        Epoch = epoch;
        View = view;
        Placement = placement;
        _memberStates = memberStates;
        KnownNodes = [.. view.Concat(placement.Nodes).Concat(memberStates.Keys).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    public long Epoch { get; }

    /// <summary>The operator's view, in its order.</summary>
    public ImmutableArray<string> View { get; }

    public string ViewText => string.Join(',', View);

    /// <summary>The ring of the placed members, with the in-sync ones marked.</summary>
    public ReplicaPlacement Placement { get; }

    public int TokensPerNode => Placement.Ring.TokensPerNode;

    public int ReplicationFactor => Placement.Ring.ReplicationFactor;

    /// <summary>Each member's state as the view showed it (empty for a one-copy cluster).</summary>
    public IReadOnlyDictionary<string, string> MemberStates => _memberStates;

    /// <summary>Every node this table names: whom to ask for a newer view.</summary>
    public ImmutableArray<string> KnownNodes { get; }

    /// <summary>One view as a table; null when its view does not parse (then it is not adopted).</summary>
    public static RoutingTable? FromAnswer(ViewAnswer answer, int defaultTokensPerNode)
    {
        if (!ViewParser.TryParse(answer.View, out ImmutableArray<string> view, out _))
        {
            return null;
        }

        int tokens = answer.TokensPerNode is > 0 and int t ? t : defaultTokensPerNode;
        if (answer.Members is not { Count: > 0 } members)
        {
            return new RoutingTable(answer.Epoch, view, new ReplicaPlacement(view, tokens, replicationFactor: 1), ImmutableDictionary<string, string>.Empty);
        }

        var states = members.ToImmutableDictionary(m => m.Address, m => m.State ?? "", StringComparer.OrdinalIgnoreCase);
        var inSync = members.Where(m => m.IsInSync).Select(m => m.Address).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Nodes that predate the "placement" field: the in-sync members are the best guess (exact
        // when no excluded or restarted member is still placed); a node forwards what it misses.
        ImmutableArray<string> placed = [.. (answer.Placement ?? [.. inSync]).Distinct(StringComparer.OrdinalIgnoreCase)];
        if (placed.IsEmpty)
        {
            return null;
        }

        var placement = new ReplicaPlacement(placed, tokens, Math.Max(1, answer.ReplicationFactor ?? 1), placed.Where(p => !inSync.Contains(p)));
        return new RoutingTable(answer.Epoch, view, placement, states);
    }

    /// <summary>The key's primary: its first in-sync replica; null when no replica of it is in sync.</summary>
    public string? PrimaryOf(string key) =>
        Placement.PrimaryIndexOfHash(StableHash.Of(key)) is int i and >= 0 ? Placement.Nodes[i] : null;

    /// <summary>
    /// Where to send a request for <paramref name="key"/>: its primary, unless <paramref name="avoid"/>
    /// says the primary refused a connection under this table; then its next in-sync replica, which is
    /// the primary the survivors will choose, and which meanwhile waits for that failover rather than
    /// fail. With every in-sync replica avoided (or none left) it is still the primary or, failing
    /// that, any in-sync member: whoever answers says what is wrong.
    /// </summary>
    /// <param name="aroundPrimary">Whether the route is not the key's primary because the primary is avoided.</param>
    public string RouteOf(string key, Func<string, bool> avoid, out bool aroundPrimary)
    {
        ulong hash = StableHash.Of(key);
        int primary = -1;
        aroundPrimary = false;
        foreach (int replica in Placement.Ring.ReplicaIndicesOfHash(hash))
        {
            if (!Placement.IsInSync(replica))
            {
                continue;
            }

            if (!avoid(Placement.Nodes[replica]))
            {
                aroundPrimary = primary >= 0;
                return Placement.Nodes[replica];
            }

            primary = primary < 0 ? replica : primary;
        }

        if (primary >= 0)
        {
            return Placement.Nodes[primary];
        }

        for (int node = 0; node < Placement.Nodes.Length; node++)
        {
            if (Placement.IsInSync(node))
            {
                return Placement.Nodes[node];
            }
        }

        return View[0];
    }

    /// <summary>True when <paramref name="otherEpoch"/> is newer than this table's.</summary>
    public bool IsOlderThan(long otherEpoch) => otherEpoch > Epoch;
}
