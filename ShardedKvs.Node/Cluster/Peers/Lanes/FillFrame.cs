namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>A fill frame as read, its fields pointing into the receive buffer; <see cref="BatchStart"/>
/// says where the batch starts in the frame body, for a reader that needs it as memory.</summary>
public readonly ref struct FillFrame(uint id, long fillEpoch, int batchStart, ReadOnlySpan<byte> batch, ReadOnlySpan<byte> traceParent, ReadOnlySpan<byte> authenticated, ReadOnlySpan<byte> mac)
{
    public uint Id { get; } = id;

    /// <summary>The epoch the fill began at.</summary>
    public long FillEpoch { get; } = fillEpoch;

    public int BatchStart { get; } = batchStart;

    /// <summary>The batch (<see cref="Replication.Fill.FillBatchFormat"/>), checked by its own reader.</summary>
    public ReadOnlySpan<byte> Batch { get; } = batch;

    public ReadOnlySpan<byte> TraceParent { get; } = traceParent;

    /// <summary>The bytes the MAC covers.</summary>
    public ReadOnlySpan<byte> Authenticated { get; } = authenticated;

    public ReadOnlySpan<byte> Mac { get; } = mac;
}
