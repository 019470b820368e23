namespace ShardedKvs.Client;

/// <summary>The committed view a client routes by: its epoch and its members in order.</summary>
public sealed record ShardedKvsView(long Epoch, IReadOnlyList<string> Nodes, int TokensPerNode)
{
    /// <summary>Copies per key (1 when the cluster does not replicate).</summary>
    public int ReplicationFactor { get; init; } = 1;

    /// <summary>Replicated clusters: each member's state (serving, learner, excluded, leaving); empty otherwise.</summary>
    public IReadOnlyDictionary<string, string> MemberStates { get; init; } = new Dictionary<string, string>();
}
