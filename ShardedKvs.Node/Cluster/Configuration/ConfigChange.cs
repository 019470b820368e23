using System.Collections.Immutable;

namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>One decision the configuration log can make; <see cref="ConfigTransitions"/> applies it.</summary>
public abstract record ConfigChange
{
    /// <summary>The W3C traceparent of the span proposing the change; the configuration it makes
    /// carries it (<see cref="ClusterConfig.TraceParent"/>).</summary>
    public string? TraceParent { get; init; }

    /// <summary>The member's incarnation is dead (silent past the suspicion timeout, as a majority saw it).</summary>
    public sealed record Exclude(PlacedMember Member) : ConfigChange;

    /// <summary>A view member came back as a new, empty incarnation: it is filled as a learner.</summary>
    public sealed record Rejoin(PlacedMember Member) : ConfigChange;

    /// <summary>The operator's new view; every address with the incarnation it runs now.</summary>
    public sealed record ChangeView(ImmutableArray<PlacedMember> View) : ConfigChange;

    /// <summary>A source has copied every key it is primary for to that key's learners, for the fill
    /// that began at <paramref name="FillEpoch"/>.</summary>
    public sealed record ReportFilled(PlacedMember Source, long FillEpoch) : ConfigChange;
}
