using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// How the configuration log reaches the other nodes' logs (over signed internal HTTP calls in a node,
/// in memory in tests). Every call is to one address; none throws for a peer that is down or refusing:
/// it answers null instead. The caller bounds each call with its token, and a call the token stops
/// may end in <see cref="OperationCanceledException"/>.
/// </summary>
public interface IConfigTransport
{
    Task<VoterAnswer?> PrepareAsync(string target, PrepareBallot prepare, CancellationToken cancellationToken);

    Task<VoterAnswer?> AcceptAsync(string target, AcceptProposal accept, CancellationToken cancellationToken);

    /// <summary>Tells <paramref name="target"/> of a decision; whether it heard is not reported.</summary>
    Task DecidedAsync(string target, ClusterConfig decided, CancellationToken cancellationToken);

    /// <summary>The newest decided configuration <paramref name="target"/> knows, or null (none, or no answer).</summary>
    Task<ClusterConfig?> LatestAsync(string target, CancellationToken cancellationToken);
}
