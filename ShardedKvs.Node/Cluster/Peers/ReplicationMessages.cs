namespace ShardedKvs.Node.Cluster.Peers;

// The control calls of replicated mode (the data path itself runs on the lanes).

/// <summary>Does the asked node also suspect <paramref name="Peer"/> (silent past its timeout)?</summary>
public sealed record SuspicionQuery(string Peer);

public sealed record SuspicionAnswer(bool Suspected);

/// <summary>Has the asked node adopted <paramref name="Epoch"/> and finished every write it began as
/// primary before it? A new primary serves keys it took over from a live node only then.</summary>
public sealed record DrainQuery(long Epoch);

public sealed record DrainAnswer(bool Drained);
