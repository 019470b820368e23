using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>What a forwarded request's caller gets back from a lane.</summary>
/// <param name="ConnectionLost">The lane closed before the answer came: the request may or may not
/// have reached the owner.</param>
public readonly record struct LaneAnswer(KeyOutcome Outcome, bool ConnectionLost = false);
