namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>One encoded batch on its way to one learner (<see cref="FillBatchFormat"/>).</summary>
/// <param name="Body">The request body; owned by the batch, never reused.</param>
/// <param name="Keys">How many keys it carries.</param>
public sealed record FillBatch(byte[] Body, int Keys);
