namespace ShardedKvs.Client;

/// <summary>The committed view a client routes by: its epoch and its members in order.</summary>
public sealed record ShardedKvsView(long Epoch, IReadOnlyList<string> Nodes, int TokensPerNode);
