using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>One node of an <see cref="InMemoryConfigNetwork"/>: who it is, its log, and what its observer heard.</summary>
internal sealed record LogNode(NodeIdentity Identity, ConfigLog Log, RecordingObserver Observer)
{
    public string Address => Identity.Address;
}
