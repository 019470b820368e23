namespace ShardedKvs.Node.Cluster.Peers;

// The control calls of replicated mode (the data path itself runs on the lanes).

/// <summary>Does the asked node also suspect <paramref name="Peer"/> (silent past its timeout)?</summary>
public sealed record SuspicionQuery(string Peer);

public sealed record SuspicionAnswer(bool Suspected);
