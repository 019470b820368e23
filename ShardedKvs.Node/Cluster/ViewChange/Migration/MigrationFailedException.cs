namespace ShardedKvs.Node.Cluster.ViewChange.Migration;

/// <summary>A source could not hand a batch to its target; its keys stay at the source.</summary>
public sealed class MigrationFailedException(string target, string reason)
    : Exception($"Could not move keys to {target}: {reason}")
{
    public string Target { get; } = target;
}
