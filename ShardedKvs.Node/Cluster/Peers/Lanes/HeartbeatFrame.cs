namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>A heartbeat frame as read, its MAC fields pointing into the receive buffer.</summary>
public readonly ref struct HeartbeatFrame(uint id, long epoch, long watermark, ReadOnlySpan<byte> authenticated, ReadOnlySpan<byte> mac)
{
    public uint Id { get; } = id;

    public long Epoch { get; } = epoch;

    public long Watermark { get; } = watermark;

    /// <summary>The bytes the MAC covers.</summary>
    public ReadOnlySpan<byte> Authenticated { get; } = authenticated;

    public ReadOnlySpan<byte> Mac { get; } = mac;
}
