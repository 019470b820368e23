using System.Buffers;
using System.Text;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Tests.Cluster.Peers.Lanes;

/// <summary>Replication's frames: read back exactly as written, however the bytes are split, signed in
/// the same sequence as forwards, and anything else refused rather than guessed at.</summary>
public sealed class ReplicationFrameTests
{
    private const string TraceParent = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01";
    private static readonly byte[] SessionKey = Encoding.UTF8.GetBytes("a-session-key-of-32-bytes-length");

    [Theory]
    [InlineData(KeyOperation.Put, "ключ/with spaces?&", "värde ✓")]
    [InlineData(KeyOperation.Put, "empty", "")]
    [InlineData(KeyOperation.Delete, "k", null)]
    public void A_replicate_reads_back_as_written_and_its_mac_verifies(KeyOperation operation, string key, string? value)
    {
        var output = new ArrayBufferWriter<byte>();
        using var sender = new LaneMac(SessionKey);
        using var receiver = new LaneMac(SessionKey);
        long version = (42L << 40) | 7;

        LaneProtocol.WriteReplicate(output, 9, epoch: 42, version, operation, key, Encoding.UTF8.GetBytes(value ?? "ignored for a delete"), watermark: version - 1, TraceParent, sender);

        byte[] body = WholeFrame(output);
        Assert.Equal(LaneFrameKind.Replicate, LaneProtocol.ReadKind(body));
        ReplicateFrame frame = LaneProtocol.ReadReplicate(body);
        Assert.Equal(9u, frame.Id);
        Assert.Equal(42, frame.Epoch);
        Assert.Equal(version, frame.Version);
        Assert.Equal(operation, frame.Operation);
        Assert.Equal(version - 1, frame.Watermark);
        Assert.Equal(key, Encoding.UTF8.GetString(frame.Key));
        Assert.Equal(value ?? "", Encoding.UTF8.GetString(frame.Value));
        Assert.Equal(TraceParent, Encoding.ASCII.GetString(frame.TraceParent));
        Assert.True(receiver.VerifyNext(frame.Authenticated, frame.Mac));
    }

    [Fact]
    public void A_heartbeat_reads_back_as_written_and_its_mac_verifies()
    {
        var output = new ArrayBufferWriter<byte>();
        using var sender = new LaneMac(SessionKey);
        using var receiver = new LaneMac(SessionKey);

        LaneProtocol.WriteHeartbeat(output, uint.MaxValue, epoch: long.MaxValue, watermark: -1, sender);

        byte[] body = WholeFrame(output);
        Assert.Equal(LaneFrameKind.Heartbeat, LaneProtocol.ReadKind(body));
        HeartbeatFrame frame = LaneProtocol.ReadHeartbeat(body);
        Assert.Equal(uint.MaxValue, frame.Id);
        Assert.Equal(long.MaxValue, frame.Epoch);
        Assert.Equal(-1, frame.Watermark);
        Assert.True(receiver.VerifyNext(frame.Authenticated, frame.Mac));
    }

    [Theory]
    [InlineData(ReplicaAckKind.Applied, 3)]
    [InlineData(ReplicaAckKind.AlreadyNewer, 3)]
    [InlineData(ReplicaAckKind.StaleEpoch, long.MaxValue)]
    [InlineData(ReplicaAckKind.NotReplica, 0)]
    public void A_replica_ack_reads_back_as_written(ReplicaAckKind kind, long epoch)
    {
        var output = new ArrayBufferWriter<byte>();

        LaneProtocol.WriteReplicaAck(output, 77, new ReplicaAck(kind, epoch));

        byte[] body = WholeFrame(output);
        Assert.Equal(LaneFrameKind.Replicate, LaneProtocol.ReadKind(body));
        Assert.Equal(new ReplicaAck(kind, epoch), LaneProtocol.ReadReplicaAck(body, out uint id));
        Assert.Equal(77u, id);
    }

    [Theory]
    [InlineData(true, 5)]
    [InlineData(false, 0)]
    public void A_lease_answer_reads_back_as_written(bool granted, long epoch)
    {
        var output = new ArrayBufferWriter<byte>();

        LaneProtocol.WriteLeaseAnswer(output, 78, new LeaseAnswer(granted, epoch));

        byte[] body = WholeFrame(output);
        Assert.Equal(LaneFrameKind.Heartbeat, LaneProtocol.ReadKind(body));
        Assert.Equal(new LeaseAnswer(granted, epoch), LaneProtocol.ReadLeaseAnswer(body, out uint id));
        Assert.Equal(78u, id);
    }

    [Theory]
    [InlineData(TraceParent)]
    [InlineData(null)]
    public void A_fill_frame_reads_back_as_written_and_its_mac_verifies(string? traceParent)
    {
        var output = new ArrayBufferWriter<byte>();
        using var sender = new LaneMac(SessionKey);
        using var receiver = new LaneMac(SessionKey);
        byte[] batch = [.. Enumerable.Range(0, 70_000).Select(i => (byte)i)];

        LaneProtocol.WriteFill(output, 11, fillEpoch: 1L << 40, batch, traceParent, sender);

        byte[] body = WholeFrame(output);
        Assert.Equal(LaneFrameKind.Fill, LaneProtocol.ReadKind(body));
        FillFrame frame = LaneProtocol.ReadFill(body);
        Assert.Equal(11u, frame.Id);
        Assert.Equal(1L << 40, frame.FillEpoch);
        Assert.True(frame.Batch.SequenceEqual(batch));
        Assert.True(body.AsSpan(frame.BatchStart, batch.Length).SequenceEqual(batch));
        Assert.Equal(traceParent ?? "", Encoding.ASCII.GetString(frame.TraceParent));
        Assert.True(receiver.VerifyNext(frame.Authenticated, frame.Mac));
    }

    [Theory]
    [InlineData(FillAnswerKind.Applied, 1000, 3, null)]
    [InlineData(FillAnswerKind.NotYetLearned, 0, 0, "This node has not learned of the fill yet; send the batch again")]
    [InlineData(FillAnswerKind.Superseded, 0, 0, "The fill of epoch 4 was replaced by the fill of epoch 6")]
    [InlineData(FillAnswerKind.Rejected, 0, 0, "Malformed fill batch: entry 3: the key is not valid UTF-8 ✗")]
    public void A_fill_answer_reads_back_as_written(FillAnswerKind kind, int applied, int skipped, string? error)
    {
        var output = new ArrayBufferWriter<byte>();

        LaneProtocol.WriteFillAnswer(output, 79, new FillAnswer(kind, applied, skipped, error));

        byte[] body = WholeFrame(output);
        Assert.Equal(LaneFrameKind.Fill, LaneProtocol.ReadKind(body));
        Assert.Equal(new FillAnswer(kind, applied, skipped, error), LaneProtocol.ReadFillAnswer(body, out uint id));
        Assert.Equal(79u, id);
    }

    [Theory]
    [InlineData(FillAnswerKind.Down)]
    [InlineData(FillAnswerKind.Unreachable)]
    [InlineData(FillAnswerKind.TimedOut)]
    public void What_a_fill_source_concludes_without_an_answer_is_never_sent_as_one(FillAnswerKind kind)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentOutOfRangeException>(() => LaneProtocol.WriteFillAnswer(output, 1, new FillAnswer(kind)));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData(ReplicaAckKind.Unreachable)]
    [InlineData(ReplicaAckKind.TimedOut)]
    public void What_a_primary_concludes_without_an_answer_is_never_sent_as_one(ReplicaAckKind kind)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentOutOfRangeException>(() => LaneProtocol.WriteReplicaAck(output, 1, new ReplicaAck(kind)));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Only_writes_are_replicated()
    {
        var output = new ArrayBufferWriter<byte>();
        using var mac = new LaneMac(SessionKey);

        Assert.Throws<ArgumentOutOfRangeException>(() => LaneProtocol.WriteReplicate(output, 1, 1, 1, KeyOperation.Get, "k", [], 0, null, mac));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Forwards_replicates_heartbeats_and_fills_share_one_mac_sequence()
    {
        var output = new ArrayBufferWriter<byte>();
        using var sender = new LaneMac(SessionKey);
        LaneProtocol.WriteRequest(output, 1, KeyOperation.Get, 1, "k", null, null, sender);
        LaneProtocol.WriteReplicate(output, 2, 1, 1, KeyOperation.Delete, "k", [], 0, null, sender);
        LaneProtocol.WriteHeartbeat(output, 3, 1, 0, sender);
        LaneProtocol.WriteFill(output, 4, 1, [1, 0, 0, 0, 0], null, sender);
        List<byte[]> bodies = Split(output.WrittenSpan.ToArray());

        using var inOrder = new LaneMac(SessionKey);
        LaneRequest forward = LaneProtocol.ReadRequest(bodies[0]);
        Assert.True(inOrder.VerifyNext(forward.Authenticated, forward.Mac));
        ReplicateFrame replicate = LaneProtocol.ReadReplicate(bodies[1]);
        Assert.True(inOrder.VerifyNext(replicate.Authenticated, replicate.Mac));
        HeartbeatFrame heartbeat = LaneProtocol.ReadHeartbeat(bodies[2]);
        Assert.True(inOrder.VerifyNext(heartbeat.Authenticated, heartbeat.Mac));
        FillFrame fill = LaneProtocol.ReadFill(bodies[3]);
        Assert.True(inOrder.VerifyNext(fill.Authenticated, fill.Mac));

        // The heartbeat in the replicate's place: its MAC was made for the next number in the sequence.
        using var skipped = new LaneMac(SessionKey);
        Assert.True(skipped.VerifyNext(forward.Authenticated, forward.Mac));
        Assert.False(skipped.VerifyNext(heartbeat.Authenticated, heartbeat.Mac));
    }

    [Fact]
    public void Frames_split_anywhere_are_found_only_once_whole()
    {
        var output = new ArrayBufferWriter<byte>();
        using var mac = new LaneMac(SessionKey);
        LaneProtocol.WriteReplicate(output, 1, 1, 1, KeyOperation.Put, "key", Encoding.UTF8.GetBytes(new string('v', 300)), 0, TraceParent, mac);
        LaneProtocol.WriteHeartbeat(output, 2, 1, 0, mac);
        LaneProtocol.WriteReplicaAck(output, 1, new ReplicaAck(ReplicaAckKind.Applied, 1));
        LaneProtocol.WriteLeaseAnswer(output, 2, new LeaseAnswer(true, 1));
        byte[] frames = output.WrittenSpan.ToArray();

        for (int start = 0; start < frames.Length;)
        {
            int length = LaneProtocol.LengthPrefix + BitConverter.ToInt32(frames, start);
            for (int received = 0; received < length; received++)
            {
                Assert.Equal(0, LaneProtocol.TryFindFrame(frames.AsSpan(start, received), 1 << 20, out int missing));
                Assert.True(missing > 0 && received + missing <= length, $"after {received} bytes of the frame at {start}, {missing} more were asked for");
            }

            Assert.Equal(length - LaneProtocol.LengthPrefix, LaneProtocol.TryFindFrame(frames.AsSpan(start), 1 << 20, out _));
            start += length;
        }
    }

    [Fact]
    public void Truncated_padded_or_unknown_replication_frames_are_refused()
    {
        using var mac = new LaneMac(SessionKey);
        byte[] replicate = Body(output => LaneProtocol.WriteReplicate(output, 1, 1, 1, KeyOperation.Put, "k", "v"u8, 0, null, mac));
        byte[] heartbeat = Body(output => LaneProtocol.WriteHeartbeat(output, 1, 1, 0, mac));
        byte[] ack = Body(output => LaneProtocol.WriteReplicaAck(output, 1, new ReplicaAck(ReplicaAckKind.Applied, 1)));
        byte[] lease = Body(output => LaneProtocol.WriteLeaseAnswer(output, 1, new LeaseAnswer(true, 1)));
        byte[] fill = Body(output => LaneProtocol.WriteFill(output, 1, 1, [1, 0, 0, 0, 0], null, mac));
        byte[] fillAnswer = Body(output => LaneProtocol.WriteFillAnswer(output, 1, new FillAnswer(FillAnswerKind.Rejected, Error: "why")));

        AssertRefused(body => LaneProtocol.ReadReplicate(body), replicate);
        AssertRefused(body => LaneProtocol.ReadHeartbeat(body), heartbeat);
        AssertRefused(body => LaneProtocol.ReadReplicaAck(body, out _), ack);
        AssertRefused(body => LaneProtocol.ReadLeaseAnswer(body, out _), lease);
        AssertRefused(body => LaneProtocol.ReadFill(body), fill);
        AssertRefused(body => LaneProtocol.ReadFillAnswer(body, out _), fillAnswer);

        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadKind([(byte)LaneFrameKind.Fill + 1, 0, 0, 0, 0]));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadKind([]));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadReplicaAck(With(ack, 5, (byte)ReplicaAckKind.Unreachable), out _));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadLeaseAnswer(With(lease, 5, 2), out _));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadFillAnswer(With(fillAnswer, 5, (byte)FillAnswerKind.Down), out _));
    }

    [Fact]
    public void A_replicate_is_a_put_with_a_value_or_a_delete_without_one()
    {
        using var mac = new LaneMac(SessionKey);
        byte[] put = Body(output => LaneProtocol.WriteReplicate(output, 1, 1, 1, KeyOperation.Put, "k", "v"u8, 0, null, mac));
        byte[] delete = Body(output => LaneProtocol.WriteReplicate(output, 1, 1, 1, KeyOperation.Delete, "k", [], 0, null, mac));
        const int OperationAt = 5; // after the kind and the id

        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadReplicate(With(put, OperationAt, (byte)KeyOperation.Delete)));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadReplicate(With(delete, OperationAt, (byte)KeyOperation.Put)));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadReplicate(With(put, OperationAt, (byte)KeyOperation.Get)));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadReplicate(With(put, OperationAt, 9)));
    }

    [Fact]
    public void A_frame_read_as_another_kind_is_refused()
    {
        using var mac = new LaneMac(SessionKey);
        byte[] forward = Body(output => LaneProtocol.WriteRequest(output, 1, KeyOperation.Get, 1, "k", null, null, mac));
        byte[] replicate = Body(output => LaneProtocol.WriteReplicate(output, 1, 1, 1, KeyOperation.Delete, "k", [], 0, null, mac));
        byte[] ack = Body(output => LaneProtocol.WriteReplicaAck(output, 1, new ReplicaAck(ReplicaAckKind.Applied, 1)));

        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadReplicate(forward));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadRequest(replicate));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadHeartbeat(replicate));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadLeaseAnswer(ack, out _));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadAnswer(ack));
    }

    private delegate void Reader(byte[] body);

    /// <summary>One byte short, one byte long, and only its kind and id: each refused.</summary>
    private static void AssertRefused(Reader read, byte[] body)
    {
        Assert.Throws<LaneProtocolException>(() => read(body[..^1]));
        Assert.Throws<LaneProtocolException>(() => read([.. body, 0]));
        Assert.Throws<LaneProtocolException>(() => read(body[..5]));
    }

    private static byte[] With(byte[] body, int at, byte value)
    {
        byte[] copy = [.. body];
        copy[at] = value;
        return copy;
    }

    private static byte[] Body(Action<ArrayBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return WholeFrame(output);
    }

    /// <summary>The one frame in <paramref name="output"/>, checked to be exactly one whole frame.</summary>
    private static byte[] WholeFrame(ArrayBufferWriter<byte> output)
    {
        int bodyLength = LaneProtocol.TryFindFrame(output.WrittenSpan, 1 << 20, out int missing);
        Assert.Equal(0, missing);
        Assert.Equal(output.WrittenCount, LaneProtocol.LengthPrefix + bodyLength);
        return output.WrittenSpan[LaneProtocol.LengthPrefix..].ToArray();
    }

    private static List<byte[]> Split(byte[] frames)
    {
        var bodies = new List<byte[]>();
        for (int start = 0; start < frames.Length;)
        {
            int bodyLength = LaneProtocol.TryFindFrame(frames.AsSpan(start), 1 << 20, out _);
            bodies.Add(frames.AsSpan(start + LaneProtocol.LengthPrefix, bodyLength).ToArray());
            start += LaneProtocol.LengthPrefix + bodyLength;
        }

        return bodies;
    }
}
