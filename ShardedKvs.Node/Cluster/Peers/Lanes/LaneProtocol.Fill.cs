using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ShardedKvs.Node.Cluster.Replication.Fill;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// A fill's frames. A fill frame carries the epoch its fill began at, an optional traceparent and one
/// batch (<see cref="FillBatchFormat"/>, up to <see cref="NodeOptions.FillBatchBytes"/> plus one value),
/// signed in the lane's one MAC sequence like every request. It is answered by the learner's
/// <see cref="FillAnswerKind"/>, the keys it applied and skipped, and an error text. A source sends one
/// batch at a time to each learner and waits for its answer, so a lane holds at most one fill frame
/// per fill; forwards and replicated writes queued behind it wait for it to go out, which on any
/// network that carries a fill is a fraction of a millisecond.
/// </summary>
public static partial class LaneProtocol
{
    /// <summary>Appends one signed fill frame.</summary>
    public static void WriteFill(IBufferWriter<byte> output, uint id, long fillEpoch, ReadOnlySpan<byte> batch, string? traceParent, LaneMac mac)
    {
        int traceBytes = TraceBytes(traceParent);
        int signedLength = 1 + sizeof(uint) + sizeof(long) + 1 + traceBytes + sizeof(int) + batch.Length;
        int bodyLength = signedLength + MacLength;
        Span<byte> frame = output.GetSpan(LengthPrefix + bodyLength)[..(LengthPrefix + bodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, bodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Fill);
        writer.UInt32(id);
        writer.Int64(fillEpoch);
        writer.Byte((byte)traceBytes);
        if (traceBytes > 0)
        {
            writer.Advance(Encoding.ASCII.GetBytes(traceParent!, writer.Remaining));
        }

        writer.Bytes(batch, present: true);
        Span<byte> body = frame.Slice(LengthPrefix, bodyLength);
        mac.Sign(body[..signedLength], body[signedLength..]);
        output.Advance(LengthPrefix + bodyLength);
    }

    /// <summary>Appends a learner's answer to a fill frame. Only a learner's own answers travel (see
    /// <see cref="FillAnswer.LastSent"/>); a receiver returning one of the kinds a source concludes is
    /// a bug and throws here.</summary>
    public static void WriteFillAnswer(IBufferWriter<byte> output, uint id, FillAnswer answer)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((byte)answer.Kind, (byte)FillAnswer.LastSent, nameof(answer));
        string error = answer.Error ?? "";
        if (error.Length > MaxTextChars)
        {
            error = error[..MaxTextChars];
        }

        int errorBytes = Encoding.UTF8.GetByteCount(error);
        int bodyLength = 1 + sizeof(uint) + 1 + (2 * sizeof(int)) + sizeof(ushort) + errorBytes;
        Span<byte> frame = output.GetSpan(LengthPrefix + bodyLength)[..(LengthPrefix + bodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, bodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Fill);
        writer.UInt32(id);
        writer.Byte((byte)answer.Kind);
        writer.UInt32((uint)answer.Applied);
        writer.UInt32((uint)answer.Skipped);
        writer.UInt16((ushort)errorBytes);
        writer.Advance(Encoding.UTF8.GetBytes(error, writer.Remaining));
        output.Advance(LengthPrefix + bodyLength);
    }

    public static FillFrame ReadFill(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(Signed(body));
        reader.Kind(LaneFrameKind.Fill);
        uint id = reader.UInt32();
        long fillEpoch = reader.Int64();
        ReadOnlySpan<byte> trace = reader.Bytes(reader.Byte());
        ReadOnlySpan<byte> batch = reader.OptionalBytes(out bool hasBatch);
        reader.EnsureEnd();
        if (!hasBatch)
        {
            throw new LaneProtocolException("A fill frame carries no batch");
        }

        int batchStart = body.Length - MacLength - batch.Length;
        return new FillFrame(id, fillEpoch, batchStart, batch, trace, body[..^MacLength], body[^MacLength..]);
    }

    public static FillAnswer ReadFillAnswer(ReadOnlySpan<byte> body, out uint id)
    {
        var reader = new SpanReader(body);
        reader.Kind(LaneFrameKind.Fill);
        id = reader.UInt32();
        byte kind = reader.Byte();
        if (kind > (byte)FillAnswer.LastSent)
        {
            throw new LaneProtocolException($"Unknown fill answer {kind}");
        }

        uint applied = reader.UInt32();
        uint skipped = reader.UInt32();
        ReadOnlySpan<byte> error = reader.Bytes(reader.UInt16());
        reader.EnsureEnd();
        if (applied > int.MaxValue || skipped > int.MaxValue)
        {
            throw new LaneProtocolException($"A fill answer counts {applied} applied and {skipped} skipped keys");
        }

        return new FillAnswer((FillAnswerKind)kind, (int)applied, (int)skipped, error.IsEmpty ? null : Encoding.UTF8.GetString(error));
    }
}
