using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>Keys one source copies to one learner in one phase of a fill.</summary>
/// <param name="SingleCopy">Whether these keys have a single in-sync copy left (they go first).</param>
public sealed record FillQueue(PlacedMember Learner, bool SingleCopy, FillKeys Keys);
