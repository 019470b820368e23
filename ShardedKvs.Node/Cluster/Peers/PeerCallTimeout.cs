namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>Which of the node's timeouts bounds one call to a peer.</summary>
public enum PeerCallTimeout
{
    /// <summary>A quick step: <see cref="NodeOptions.ControlTimeout"/>.</summary>
    Control,

    /// <summary>Moving every key a source loses, which takes as long as there are keys to move:
    /// <see cref="NodeOptions.MigrationTimeout"/>.</summary>
    Migration,
}
