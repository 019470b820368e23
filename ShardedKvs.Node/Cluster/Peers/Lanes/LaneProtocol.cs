using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// The wire format of a lane. Every frame is a little-endian u32 length, then its body, which starts
/// with its <see cref="LaneFrameKind"/> and its id. A forwarded request then carries its operation, the
/// sender's epoch, the key, the value, an optional W3C traceparent and a MAC over a per-lane sequence
/// number and the body (see <see cref="LaneMac"/>). Its answer carries the outcome, the node that
/// finally served the key, an error text and the value. Ids let answers come back in any order: a
/// request that waits for a hand-off does not hold up the ones behind it. Replication's frames are in
/// LaneProtocol.Replication.cs; requests of every kind share the lane's one MAC sequence.
/// </summary>
public static partial class LaneProtocol
{
    public const int LengthPrefix = sizeof(uint);
    public const int MacLength = 16;

    private const int NoValue = -1;
    private const int MaxTextChars = 1024; // at most 4 kB of UTF-8, well inside a u16 length
    private const int MaxTraceBytes = byte.MaxValue;

    /// <summary>Appends one signed request frame. Throws before writing anything when the key does
    /// not fit the frame.</summary>
    public static void WriteRequest(IBufferWriter<byte> output, uint id, KeyOperation operation, long epoch, string key, byte[]? value, string? traceParent, LaneMac mac)
    {
        int keyBytes = Encoding.UTF8.GetByteCount(key);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keyBytes, ushort.MaxValue, nameof(key)); // Kestrel's 8 kB request line keeps keys far below
        int traceBytes = TraceBytes(traceParent);
        int signedLength = 1 + sizeof(uint) + 1 + sizeof(long) + sizeof(ushort) + keyBytes + sizeof(int) + (value?.Length ?? 0) + 1 + traceBytes;
        int bodyLength = signedLength + MacLength;
        Span<byte> frame = output.GetSpan(LengthPrefix + bodyLength)[..(LengthPrefix + bodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, bodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Forward);
        writer.UInt32(id);
        writer.Byte((byte)operation);
        writer.Int64(epoch);
        writer.UInt16((ushort)keyBytes);
        writer.Advance(Encoding.UTF8.GetBytes(key, writer.Remaining));
        writer.Bytes(value, present: value is not null);
        writer.Byte((byte)traceBytes);
        if (traceBytes > 0)
        {
            writer.Advance(Encoding.ASCII.GetBytes(traceParent!, writer.Remaining));
        }

        Span<byte> body = frame.Slice(LengthPrefix, bodyLength);
        mac.Sign(body[..signedLength], body[signedLength..]);
        output.Advance(LengthPrefix + bodyLength);
    }

    /// <summary>Appends one answer frame; the value only for a GET that found its key.</summary>
    public static void WriteAnswer(IBufferWriter<byte> output, uint id, in KeyOutcome outcome, bool withValue)
    {
        string owner = outcome.Owner ?? "";
        string error = outcome.Error ?? "";
        if (error.Length > MaxTextChars)
        {
            error = error[..MaxTextChars];
        }

        ReadOnlySpan<byte> value = outcome.Value.Span;
        int ownerBytes = Encoding.UTF8.GetByteCount(owner);
        int errorBytes = Encoding.UTF8.GetByteCount(error);
        int bodyLength = 1 + sizeof(uint) + 1 + sizeof(ushort) + ownerBytes + sizeof(ushort) + errorBytes + sizeof(int) + (withValue ? value.Length : 0);
        Span<byte> frame = output.GetSpan(LengthPrefix + bodyLength)[..(LengthPrefix + bodyLength)];
        BinaryPrimitives.WriteInt32LittleEndian(frame, bodyLength);
        var writer = new SpanWriter(frame[LengthPrefix..]);
        writer.Byte((byte)LaneFrameKind.Forward);
        writer.UInt32(id);
        writer.Byte((byte)outcome.Kind);
        writer.UInt16((ushort)ownerBytes);
        writer.Advance(Encoding.UTF8.GetBytes(owner, writer.Remaining));
        writer.UInt16((ushort)errorBytes);
        writer.Advance(Encoding.UTF8.GetBytes(error, writer.Remaining));
        writer.Bytes(withValue ? value : default, present: withValue);
        output.Advance(LengthPrefix + bodyLength);
    }

    /// <summary>Finds the first whole frame in <paramref name="buffered"/>.</summary>
    /// <returns>The frame's body length, or 0 when it has not fully arrived; then <paramref name="missing"/>
    /// says how many more bytes it needs at least.</returns>
    /// <exception cref="LaneProtocolException">The length is not a frame this side accepts.</exception>
    public static int TryFindFrame(ReadOnlySpan<byte> buffered, int maxBodyLength, out int missing)
    {
        if (buffered.Length < LengthPrefix)
        {
            missing = LengthPrefix - buffered.Length;
            return 0;
        }

        int bodyLength = BinaryPrimitives.ReadInt32LittleEndian(buffered);
        if (bodyLength <= 0 || bodyLength > maxBodyLength)
        {
            throw new LaneProtocolException($"A frame of {bodyLength} bytes is outside 1..{maxBodyLength}");
        }

        missing = Math.Max(0, LengthPrefix + bodyLength - buffered.Length);
        return missing == 0 ? bodyLength : 0;
    }

    /// <summary>What a frame body is; the body's own reader then checks the rest.</summary>
    public static LaneFrameKind ReadKind(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || body[0] > (byte)LaneFrameKind.Fill)
        {
            throw new LaneProtocolException(body.IsEmpty ? "An empty frame" : $"Unknown frame kind {body[0]}");
        }

        return (LaneFrameKind)body[0];
    }

    public static LaneRequest ReadRequest(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(Signed(body));
        reader.Kind(LaneFrameKind.Forward);
        uint id = reader.UInt32();
        byte operation = reader.Byte();
        if (operation > (byte)KeyOperation.Delete)
        {
            throw new LaneProtocolException($"Unknown operation {operation}");
        }

        long epoch = reader.Int64();
        ReadOnlySpan<byte> key = reader.Bytes(reader.UInt16());
        ReadOnlySpan<byte> value = reader.OptionalBytes(out bool hasValue);
        ReadOnlySpan<byte> trace = reader.Bytes(reader.Byte());
        reader.EnsureEnd();
        return new LaneRequest(id, (KeyOperation)operation, epoch, key, hasValue, value, trace, body[..^MacLength], body[^MacLength..]);
    }

    public static LaneAnswerFrame ReadAnswer(ReadOnlySpan<byte> body)
    {
        var reader = new SpanReader(body);
        reader.Kind(LaneFrameKind.Forward);
        uint id = reader.UInt32();
        byte kind = reader.Byte();
        if (kind > (byte)OutcomeKind.KeyBusy)
        {
            throw new LaneProtocolException($"Unknown outcome {kind}");
        }

        ReadOnlySpan<byte> owner = reader.Bytes(reader.UInt16());
        ReadOnlySpan<byte> error = reader.Bytes(reader.UInt16());
        ReadOnlySpan<byte> value = reader.OptionalBytes(out bool hasValue);
        reader.EnsureEnd();
        return new LaneAnswerFrame(id, (OutcomeKind)kind, owner, error, hasValue, value);
    }

    /// <summary>The part of a request body its MAC covers.</summary>
    private static ReadOnlySpan<byte> Signed(ReadOnlySpan<byte> body) =>
        body.Length >= MacLength ? body[..^MacLength] : throw new LaneProtocolException("A request frame is shorter than its MAC");

    private static int TraceBytes(string? traceParent) => traceParent is { Length: <= MaxTraceBytes } ? traceParent.Length : 0;

    private ref struct SpanWriter(Span<byte> span)
    {
        private Span<byte> _rest = span;

        public readonly Span<byte> Remaining => _rest;

        public void Advance(int count) => _rest = _rest[count..];

        public void Byte(byte value)
        {
            _rest[0] = value;
            Advance(1);
        }

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_rest, value);
            Advance(sizeof(ushort));
        }

        public void UInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_rest, value);
            Advance(sizeof(uint));
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_rest, value);
            Advance(sizeof(long));
        }

        public void Bytes(ReadOnlySpan<byte> value, bool present)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_rest, present ? value.Length : NoValue);
            Advance(sizeof(int));
            value.CopyTo(_rest);
            Advance(value.Length);
        }
    }

    private ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        private ReadOnlySpan<byte> _rest = span;

        public byte Byte() => Bytes(1)[0];

        public void Kind(LaneFrameKind expected)
        {
            byte kind = Byte();
            if (kind != (byte)expected)
            {
                throw new LaneProtocolException($"A frame of kind {kind} read as {expected}");
            }
        }

        public ushort UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(sizeof(ushort)));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(sizeof(uint)));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(sizeof(long)));

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count > _rest.Length)
            {
                throw new LaneProtocolException("A frame ends before its fields do");
            }

            ReadOnlySpan<byte> bytes = _rest[..count];
            _rest = _rest[count..];
            return bytes;
        }

        public ReadOnlySpan<byte> OptionalBytes(out bool present)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(Bytes(sizeof(int)));
            present = length != NoValue;
            return present ? Bytes(length >= 0 ? length : throw new LaneProtocolException($"Negative length {length}")) : default;
        }

        public readonly void EnsureEnd()
        {
            if (!_rest.IsEmpty)
            {
                throw new LaneProtocolException("A frame has bytes after its fields");
            }
        }
    }
}

/// <summary>A request frame as read, its fields pointing into the receive buffer.</summary>
public readonly ref struct LaneRequest(uint id, KeyOperation operation, long epoch, ReadOnlySpan<byte> key, bool hasValue, ReadOnlySpan<byte> value, ReadOnlySpan<byte> traceParent, ReadOnlySpan<byte> authenticated, ReadOnlySpan<byte> mac)
{
    public uint Id { get; } = id;

    public KeyOperation Operation { get; } = operation;

    public long Epoch { get; } = epoch;

    public ReadOnlySpan<byte> Key { get; } = key;

    public bool HasValue { get; } = hasValue;

    public ReadOnlySpan<byte> Value { get; } = value;

    public ReadOnlySpan<byte> TraceParent { get; } = traceParent;

    /// <summary>The bytes the MAC covers.</summary>
    public ReadOnlySpan<byte> Authenticated { get; } = authenticated;

    public ReadOnlySpan<byte> Mac { get; } = mac;
}

/// <summary>An answer frame as read, its fields pointing into the receive buffer.</summary>
public readonly ref struct LaneAnswerFrame(uint id, OutcomeKind kind, ReadOnlySpan<byte> owner, ReadOnlySpan<byte> error, bool hasValue, ReadOnlySpan<byte> value)
{
    public uint Id { get; } = id;

    public OutcomeKind Kind { get; } = kind;

    public ReadOnlySpan<byte> Owner { get; } = owner;

    public ReadOnlySpan<byte> Error { get; } = error;

    public bool HasValue { get; } = hasValue;

    public ReadOnlySpan<byte> Value { get; } = value;
}

/// <summary>The peer sent something that is not a frame of this protocol; the lane is closed.</summary>
public sealed class LaneProtocolException(string message) : Exception(message);
