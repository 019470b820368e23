namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>What applying a change gives: the next configuration, or why the change does not apply
/// to this one (it is stale, or already applied).</summary>
public readonly record struct ConfigDecision(ClusterConfig? Next, string? Refusal)
{
    public static ConfigDecision Decided(ClusterConfig next) => new(next, null);

    public static ConfigDecision Refused(string reason) => new(null, reason);

    public bool IsDecided => Next is not null;
}
