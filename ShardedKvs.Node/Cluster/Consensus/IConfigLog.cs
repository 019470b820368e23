using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>
/// The configuration log as the rest of the node uses it: the newest decided configuration this node
/// knows, a way to propose a change, and a way to hand it a decided configuration learned elsewhere.
/// </summary>
public interface IConfigLog
{
    /// <summary>The newest decided configuration this node knows; null before formation.</summary>
    ClusterConfig? Latest { get; }

    /// <summary>Adopts a decided configuration (formation's epoch 1, or one a peer's message carried).
    /// Older or equal epochs are ignored. Observers hear of it.</summary>
    bool Learn(ClusterConfig decided);

    /// <summary>
    /// Proposes <paramref name="change"/> for the epoch after <see cref="Latest"/> and drives it until a
    /// configuration containing it is decided, it no longer applies (refused), or the token fires. When
    /// another proposal wins the epoch, the change is retried on the next one if it still applies.
    /// </summary>
    Task<ProposeResult> ProposeAsync(ConfigChange change, CancellationToken cancellationToken);

    /// <summary>Asks the voters of <see cref="Latest"/> for newer decided configurations and learns them.</summary>
    Task CatchUpAsync(CancellationToken cancellationToken);
}

/// <summary>What came of a proposal.</summary>
/// <param name="Decided">The configuration that carries the change (when <see cref="Applied"/>), else the newest known.</param>
/// <param name="Refusal">Why the change does not apply (when not applied).</param>
public sealed record ProposeResult(bool Applied, ClusterConfig? Decided, string? Refusal = null);
