namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>What a learner did with one batch: how many keys it stored and how many it skipped
/// (it held a newer version, or a newer delete was remembered), or why it applied none.</summary>
public readonly record struct FillApplyResult(int Applied, int Skipped, string? Malformed)
{
    public static FillApplyResult Refused(string malformed) => new(0, 0, malformed);
}
