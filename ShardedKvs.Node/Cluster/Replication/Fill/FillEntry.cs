namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>One key of a fill batch as the learner reads it: the key, the version its value was
/// written at on the primary, and the value. <see cref="KeyUtf8"/> and <see cref="Value"/> are views
/// of the received body, valid while the body is.</summary>
public readonly record struct FillEntry(string Key, ReadOnlyMemory<byte> KeyUtf8, long Version, ReadOnlyMemory<byte> Value);
