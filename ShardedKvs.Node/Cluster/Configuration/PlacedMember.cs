namespace ShardedKvs.Node.Cluster.Configuration;

/// <summary>
/// One run of one node: its address and the incarnation id it drew when its process started. The
/// store is in memory, so a restarted process is a new, empty member with a new incarnation, never
/// the holder of what its address held before.
/// </summary>
public readonly record struct PlacedMember(string Address, long Incarnation)
{
    public override string ToString() => $"{Address}#{Incarnation:x}";
}
