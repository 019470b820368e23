namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>One encoded batch on its way to one learner (<see cref="FillBatchFormat"/>).</summary>
/// <param name="Body">The request body: a view of its <see cref="FillBatchWriter"/>'s buffer, valid until the writer's next entry.</param>
/// <param name="Keys">How many keys it carries.</param>
public sealed record FillBatch(ReadOnlyMemory<byte> Body, int Keys);
