namespace ShardedKvs.Node.Security;

/// <summary>What an internal call's signature covers: a captured call cannot be replayed to another
/// endpoint, with another body or sender, or after its timestamp leaves the skew window.</summary>
public readonly record struct SignedFields(string Method, string PathAndQuery, string Sender, string Timestamp, ReadOnlyMemory<byte> Body);
