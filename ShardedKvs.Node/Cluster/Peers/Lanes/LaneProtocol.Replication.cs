using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// Replication's frames. A replicate carries the primary's epoch, the write's version, its operation
/// (a PUT with its value, or a DELETE without one), the commit watermark, the key and an optional
/// traceparent; it is answered by the replica's <see cref="ReplicaAckKind"/> and epoch. A heartbeat
/// carries the sender's epoch and watermark; it is answered by whether the peer grants a lease, and
/// the peer's epoch. Both requests are signed in the lane's one MAC sequence, like forwards.
/// </summary>
public static partial class LaneProtocol
{
    /// <summary>Appends one signed replicate frame. Throws before writing anything when the operation
    /// is not a write or the key does not fit the frame.</summary>
    public static void WriteReplicate(IBufferWriter<byte> output, uint id, long epoch, long version, KeyOperation operation, string key, ReadOnlySpan<byte> value, long watermark, string? traceParent, LaneMac mac)
    {
        if (operation is not (KeyOperation.Put or KeyOperation.Delete))
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "Only writes are replicated");
        }

        int keyBytes = Encoding.UTF8.GetByteCount(key);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keyBytes, ushort.MaxValue, nameof(key));
        bool hasValue = operation == KeyOperation.Put;
        int traceBytes = TraceBytes(traceParent);
        int signedLength = 1 + sizeof(uint) + 1 + (3 * sizeof(long)) + sizeof(ushort) + keyBytes + sizeof(int) + (hasValue ? value.Length : 0) + 1 + traceBytes;
        int bodyLength = signedLength + MacLength;
        Span<byte> frame = output.GetSpan(LengthPrefix + bodyLength)[..(LengthPrefix + bodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, bodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Replicate);
        writer.UInt32(id);
        writer.Byte((byte)operation);
        writer.Int64(epoch);
        writer.Int64(version);
        writer.Int64(watermark);
        writer.UInt16((ushort)keyBytes);
        writer.Advance(Encoding.UTF8.GetBytes(key, writer.Remaining));
        writer.Bytes(hasValue ? value : default, present: hasValue);
        writer.Byte((byte)traceBytes);
        if (traceBytes > 0)
        {
            writer.Advance(Encoding.ASCII.GetBytes(traceParent!, writer.Remaining));
        }

        Span<byte> body = frame.Slice(LengthPrefix, bodyLength);
        mac.Sign(body[..signedLength], body[signedLength..]);
        output.Advance(LengthPrefix + bodyLength);
    }

    /// <summary>Appends one signed heartbeat frame.</summary>
    public static void WriteHeartbeat(IBufferWriter<byte> output, uint id, long epoch, long watermark, LaneMac mac)
    {
        const int SignedLength = 1 + sizeof(uint) + (2 * sizeof(long));
        const int BodyLength = SignedLength + MacLength;
        Span<byte> frame = output.GetSpan(LengthPrefix + BodyLength)[..(LengthPrefix + BodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, BodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Heartbeat);
        writer.UInt32(id);
        writer.Int64(epoch);
        writer.Int64(watermark);
        Span<byte> body = frame.Slice(LengthPrefix, BodyLength);
        mac.Sign(body[..SignedLength], body[SignedLength..]);
        output.Advance(LengthPrefix + BodyLength);
    }

    /// <summary>Appends a replica's answer to a replicate. Only a replica's own answers travel:
    /// <see cref="ReplicaAckKind.Unreachable"/> and <see cref="ReplicaAckKind.TimedOut"/> are what the
    /// primary concludes when no answer came, so a receiver returning them is a bug and throws here.</summary>
    public static void WriteReplicaAck(IBufferWriter<byte> output, uint id, ReplicaAck ack)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((byte)ack.Kind, (byte)ReplicaAckKind.NotReplica, nameof(ack));
        const int BodyLength = 1 + sizeof(uint) + 1 + sizeof(long);
        Span<byte> frame = output.GetSpan(LengthPrefix + BodyLength)[..(LengthPrefix + BodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, BodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Replicate);
        writer.UInt32(id);
        writer.Byte((byte)ack.Kind);
        writer.Int64(ack.ReplicaEpoch);
        output.Advance(LengthPrefix + BodyLength);
    }

    /// <summary>Appends a peer's answer to a heartbeat.</summary>
    public static void WriteLeaseAnswer(IBufferWriter<byte> output, uint id, LeaseAnswer answer)
    {
        const int BodyLength = 1 + sizeof(uint) + 1 + sizeof(long);
        Span<byte> frame = output.GetSpan(LengthPrefix + BodyLength)[..(LengthPrefix + BodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, BodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Heartbeat);
        writer.UInt32(id);
        writer.Byte(answer.Granted ? (byte)1 : (byte)0);
        writer.Int64(answer.PeerEpoch);
        output.Advance(LengthPrefix + BodyLength);
    }

    public static ReplicateFrame ReadReplicate(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(Signed(body));
        reader.Kind(LaneFrameKind.Replicate);
        uint id = reader.UInt32();
        byte operation = reader.Byte();
        long epoch = reader.Int64();
        long version = reader.Int64();
        long watermark = reader.Int64();
        ReadOnlySpan<byte> key = reader.Bytes(reader.UInt16());
        ReadOnlySpan<byte> value = reader.OptionalBytes(out bool hasValue);
        ReadOnlySpan<byte> trace = reader.Bytes(reader.Byte());
        reader.EnsureEnd();
        if (!(operation == (byte)KeyOperation.Put && hasValue) && !(operation == (byte)KeyOperation.Delete && !hasValue))
        {
            throw new LaneProtocolException($"A replicate is a PUT with a value or a DELETE without one (operation {operation}, value {(hasValue ? "present" : "absent")})");
        }

        return new ReplicateFrame(id, epoch, version, (KeyOperation)operation, watermark, key, value, trace, body[..^MacLength], body[^MacLength..]);
    }

    public static HeartbeatFrame ReadHeartbeat(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(Signed(body));
        reader.Kind(LaneFrameKind.Heartbeat);
        uint id = reader.UInt32();
        long epoch = reader.Int64();
        long watermark = reader.Int64();
        reader.EnsureEnd();
        return new HeartbeatFrame(id, epoch, watermark, body[..^MacLength], body[^MacLength..]);
    }

    public static ReplicaAck ReadReplicaAck(ReadOnlySpan<byte> body, out uint id)
    {
        var reader = new SpanReader(body);
        reader.Kind(LaneFrameKind.Replicate);
        id = reader.UInt32();
        byte kind = reader.Byte();
        if (kind > (byte)ReplicaAckKind.NotReplica)
        {
            throw new LaneProtocolException($"Unknown replica answer {kind}");
        }

        long epoch = reader.Int64();
        reader.EnsureEnd();
        return new ReplicaAck((ReplicaAckKind)kind, epoch);
    }

    public static LeaseAnswer ReadLeaseAnswer(ReadOnlySpan<byte> body, out uint id)
    {
        var reader = new SpanReader(body);
        reader.Kind(LaneFrameKind.Heartbeat);
        id = reader.UInt32();
        byte granted = reader.Byte();
        if (granted > 1)
        {
            throw new LaneProtocolException($"A lease answer's grant is {granted}, not 0 or 1");
        }

        long epoch = reader.Int64();
        reader.EnsureEnd();
        return new LeaseAnswer(granted == 1, epoch);
    }
}
