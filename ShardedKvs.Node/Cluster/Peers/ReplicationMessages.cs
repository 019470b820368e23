namespace ShardedKvs.Node.Cluster.Peers;

// The control calls of replicated mode (the data path itself runs on the lanes).

/// <summary>Does the asked node also suspect <paramref name="Peer"/> (silent past its timeout)?</summary>
public sealed record SuspicionQuery(string Peer);

public sealed record SuspicionAnswer(bool Suspected);

/// <summary>Has the asked node adopted <paramref name="Epoch"/> and finished every write it began as
/// primary before it? A new primary serves keys it took over from a live node only then.</summary>
public sealed record DrainQuery(long Epoch);

public sealed record DrainAnswer(bool Drained);

/// <summary>A key's new primary, taking keys over from a primary that could not confirm it stopped,
/// asks each in-sync member for the writes it holds uncertain, so that a write the dead primary got to
/// some replicas only ends on all of them (or on none) before the keys are served.</summary>
public sealed record UncertainQuery(long Epoch);

/// <param name="CaughtUp">False when the asked node has not adopted <see cref="UncertainQuery.Epoch"/>
/// yet: until it has, the dead primary's writes may still land on it. Ask again.</param>
public sealed record UncertainAnswer(bool CaughtUp, IReadOnlyList<HeldWrite> Writes);

/// <summary>A key the asked node holds a write of that it never heard settled, as its store has it
/// now: the value at <paramref name="Version"/>, or no value when the newest write it applied was a
/// delete (then <paramref name="Version"/> is that delete's).</summary>
public sealed record HeldWrite(string Key, long Version, byte[]? Value);
