namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>A peer's answer to a heartbeat.</summary>
/// <param name="Granted">The peer grants the sender a read lease, counted from when the heartbeat was sent.</param>
/// <param name="PeerEpoch">The configuration epoch the peer is at (0 when it did not answer).</param>
/// <param name="Answered">False when the peer could not be reached or did not answer in time.</param>
public readonly record struct LeaseAnswer(bool Granted, long PeerEpoch, bool Answered = true)
{
    public static LeaseAnswer NoAnswer { get; } = new(false, 0, Answered: false);
}
