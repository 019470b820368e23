using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>How one copy ended: everything acknowledged, or the learner that could not be reached and why.
/// Counts as in <see cref="FillProgress"/>.</summary>
public sealed record FillResult(long KeysTotal, long KeysCopied, long KeysSkipped, long Batches, PlacedMember? FailedLearner = null, string? Failure = null)
{
    public bool Succeeded => Failure is null;
}
