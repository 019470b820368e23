using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>A replicate frame as read, its fields pointing into the receive buffer. A PUT always has a
/// value (maybe empty); a DELETE's <see cref="Value"/> is empty.</summary>
public readonly ref struct ReplicateFrame(uint id, long epoch, long version, KeyOperation operation, long watermark, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> traceParent, ReadOnlySpan<byte> authenticated, ReadOnlySpan<byte> mac)
{
    public uint Id { get; } = id;

    public long Epoch { get; } = epoch;

    public long Version { get; } = version;

    public KeyOperation Operation { get; } = operation;

    public long Watermark { get; } = watermark;

    public ReadOnlySpan<byte> Key { get; } = key;

    public ReadOnlySpan<byte> Value { get; } = value;

    public ReadOnlySpan<byte> TraceParent { get; } = traceParent;

    /// <summary>The bytes the MAC covers.</summary>
    public ReadOnlySpan<byte> Authenticated { get; } = authenticated;

    public ReadOnlySpan<byte> Mac { get; } = mac;
}
