using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>Told of every decided configuration newer than the last one it was told of, in any way the
/// node learned it (its own proposal, a peer's broadcast, a catch-up read, a message carrying it).</summary>
public interface IConfigObserver
{
    void OnDecided(ClusterConfig decided);
}
