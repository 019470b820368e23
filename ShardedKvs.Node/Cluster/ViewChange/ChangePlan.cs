using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>One run of the prepare, migrate and commit steps: the views, and the nodes already
/// known to be down for good (<see cref="Dead"/>), which take no part, receive no keys, and whose
/// ranges of <see cref="To"/> stay unavailable until the next change.</summary>
/// <param name="AbortOnFailure">Whether a failed prepare aborts the change: only when nothing can have moved yet.</param>
public sealed record ChangePlan(ClusterView From, ClusterView To, bool AbortOnFailure, ImmutableArray<string> Dead)
{
    /// <summary>A new change: nothing has moved yet.</summary>
    public static ChangePlan Fresh(ClusterView from, ClusterView to) => new(from, to, AbortOnFailure: true, []);

    /// <summary>The same change issued again after it failed midway.</summary>
    public static ChangePlan Resume(ClusterView from, ClusterView to) => new(from, to, AbortOnFailure: false, []);

    /// <summary>A stalled change finished by another node without the nodes that are down.</summary>
    public static ChangePlan TakeOver(ClusterView from, ClusterView to, ImmutableArray<string> dead) => new(from, to, AbortOnFailure: false, dead);

    /// <summary>Every live node of either view, in address order.</summary>
    public string[] Participants() =>
        From.Nodes.Union(To.Nodes, StringComparer.OrdinalIgnoreCase).Except(Dead, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The live nodes of the old view: each moves the keys it loses.</summary>
    public IEnumerable<string> Sources() => From.Nodes.Except(Dead, StringComparer.OrdinalIgnoreCase);
}
