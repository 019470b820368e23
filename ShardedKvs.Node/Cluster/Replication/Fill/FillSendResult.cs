using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>How sending one batch to one learner went, and the learner's answer when it applied it.</summary>
public sealed record FillSendResult(PeerCallResult Call, FillBatchReply? Reply);
