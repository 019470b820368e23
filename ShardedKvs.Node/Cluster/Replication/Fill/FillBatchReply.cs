namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>A learner's answer to a batch it applied: keys stored, and keys it already held newer
/// (or saw deleted since).</summary>
public sealed record FillBatchReply(int Applied, int Skipped);
