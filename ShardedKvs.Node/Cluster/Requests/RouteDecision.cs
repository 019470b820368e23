namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>Where a key request goes. <see cref="Target"/> and <see cref="Epoch"/> are the node and
/// view epoch to forward with (for <see cref="RouteKind.Handoff"/>, the key's next owner).</summary>
public readonly record struct RouteDecision(RouteKind Kind, string? Target = null, long Epoch = 0)
{
    public static RouteDecision Local { get; } = new(RouteKind.Local);

    public static RouteDecision Unavailable { get; } = new(RouteKind.Unavailable);
}
