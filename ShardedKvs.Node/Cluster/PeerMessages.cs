namespace ShardedKvs.Node.Cluster;

// The node-to-node control protocol. Every message names epochs, so every step can be re-sent.

public sealed record JoinRequest(string Address);

/// <summary>A node's view as peers see it; <see cref="Formed"/> is false while formation runs.</summary>
public sealed record ViewState(bool Formed, long Epoch, string View, long? PendingEpoch, string? PendingView);

public sealed record PrepareRequest(long FromEpoch, string FromView, long ToEpoch, string ToView);

/// <summary>Names one view change: its epoch and target view (two coordinators may race for one epoch).</summary>
public sealed record ChangeRef(long Epoch, string View);

public sealed record KeyCount(string Address, int Count);

public sealed record MigrateResult(string Source, long KeysMoved, int Batches, long KeysRemaining);

public sealed record MigrationEntry(string Key, string Value);

public sealed record MigrationBatch(long Epoch, string Source, long BatchId, IReadOnlyList<MigrationEntry> Entries);

public sealed record PeerError(string Error);
