using System.Buffers;
using System.Text;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Tests.Cluster.Peers.Lanes;

/// <summary>The lane's frames: what one side writes the other reads back exactly, however the bytes
/// are split on the way, and anything else is refused rather than guessed at.</summary>
public sealed class LaneProtocolTests
{
    private static readonly byte[] SessionKey = Encoding.UTF8.GetBytes("a-session-key-of-32-bytes-length");

    [Theory]
    [InlineData(KeyOperation.Get, "k", null)]
    [InlineData(KeyOperation.Put, "ключ/with spaces?&", "värde ✓")]
    [InlineData(KeyOperation.Put, "empty", "")]
    [InlineData(KeyOperation.Delete, "k", null)]
    public void A_request_reads_back_as_written_and_its_mac_verifies(KeyOperation operation, string key, string? value)
    {
        var output = new ArrayBufferWriter<byte>();
        using var sender = new LaneMac(SessionKey);
        using var receiver = new LaneMac(SessionKey);
        byte[]? bytes = value is null ? null : Encoding.UTF8.GetBytes(value);

        LaneProtocol.WriteRequest(output, 7, operation, epoch: 42, key, bytes, "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01", sender);

        int bodyLength = LaneProtocol.TryFindFrame(output.WrittenSpan, 1 << 20, out int missing);
        Assert.Equal(0, missing);
        Assert.Equal(output.WrittenCount, LaneProtocol.LengthPrefix + bodyLength);
        LaneRequest request = LaneProtocol.ReadRequest(output.WrittenSpan[LaneProtocol.LengthPrefix..]);
        Assert.Equal(7u, request.Id);
        Assert.Equal(operation, request.Operation);
        Assert.Equal(42, request.Epoch);
        Assert.Equal(key, Encoding.UTF8.GetString(request.Key));
        Assert.Equal(value is not null, request.HasValue);
        Assert.Equal(value ?? "", Encoding.UTF8.GetString(request.Value));
        Assert.Equal("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01", Encoding.ASCII.GetString(request.TraceParent));
        Assert.True(receiver.VerifyNext(request.Authenticated, request.Mac));
    }

    [Fact]
    public void Macs_follow_the_sequence_so_a_frame_verifies_only_in_its_place()
    {
        var output = new ArrayBufferWriter<byte>();
        using var sender = new LaneMac(SessionKey);
        LaneProtocol.WriteRequest(output, 1, KeyOperation.Get, 1, "first", null, null, sender);
        int firstLength = output.WrittenCount;
        LaneProtocol.WriteRequest(output, 2, KeyOperation.Get, 1, "second", null, null, sender);
        byte[] first = output.WrittenSpan[..firstLength].ToArray();
        byte[] second = output.WrittenSpan[firstLength..].ToArray();

        using var inOrder = new LaneMac(SessionKey);
        Assert.True(Verify(inOrder, first));
        Assert.True(Verify(inOrder, second));

        using var swapped = new LaneMac(SessionKey);
        Assert.False(Verify(swapped, second));

        using var replayed = new LaneMac(SessionKey);
        Assert.True(Verify(replayed, first));
        Assert.False(Verify(replayed, first));

        using var otherSession = new LaneMac(Encoding.UTF8.GetBytes("another-session-key-of-32-bytes!"));
        Assert.False(Verify(otherSession, first));
    }

    [Theory]
    [InlineData(OutcomeKind.Found, "v", true)]
    [InlineData(OutcomeKind.Found, null, false)]
    [InlineData(OutcomeKind.NotFound, null, false)]
    [InlineData(OutcomeKind.Created, null, false)]
    [InlineData(OutcomeKind.Replaced, null, false)]
    [InlineData(OutcomeKind.OwnerUnavailable, null, false)]
    public void An_answer_reads_back_as_written(OutcomeKind kind, string? value, bool withValue)
    {
        var output = new ArrayBufferWriter<byte>();
        var outcome = new KeyOutcome(kind, value is null ? default : Encoding.UTF8.GetBytes(value), Owner: "127.0.0.1:9", Error: kind == OutcomeKind.OwnerUnavailable ? "Keys of 127.0.0.1:9 are unavailable" : null);

        LaneProtocol.WriteAnswer(output, 99, outcome, withValue);

        int bodyLength = LaneProtocol.TryFindFrame(output.WrittenSpan, 1 << 20, out _);
        LaneAnswerFrame answer = LaneProtocol.ReadAnswer(output.WrittenSpan.Slice(LaneProtocol.LengthPrefix, bodyLength));
        Assert.Equal(99u, answer.Id);
        Assert.Equal(kind, answer.Kind);
        Assert.Equal("127.0.0.1:9", Encoding.UTF8.GetString(answer.Owner));
        Assert.Equal(outcome.Error ?? "", Encoding.UTF8.GetString(answer.Error));
        Assert.Equal(withValue, answer.HasValue);
        Assert.Equal(withValue ? value : "", Encoding.UTF8.GetString(answer.Value));
    }

    [Fact]
    public void A_frame_split_anywhere_is_found_only_once_whole()
    {
        var output = new ArrayBufferWriter<byte>();
        LaneProtocol.WriteAnswer(output, 1, KeyOutcome.Found(Encoding.UTF8.GetBytes(new string('v', 300))), withValue: true);
        byte[] frame = output.WrittenSpan.ToArray();

        for (int received = 0; received < frame.Length; received++)
        {
            Assert.Equal(0, LaneProtocol.TryFindFrame(frame.AsSpan(0, received), 1 << 20, out int missing));
            Assert.True(missing > 0 && received + missing <= frame.Length, $"after {received} bytes, {missing} more were asked for");
        }

        Assert.Equal(frame.Length - LaneProtocol.LengthPrefix, LaneProtocol.TryFindFrame(frame, 1 << 20, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1025)]
    public void A_length_outside_the_limit_is_refused(int length)
    {
        byte[] prefix = BitConverter.GetBytes(length);

        Assert.Throws<LaneProtocolException>(() => LaneProtocol.TryFindFrame(prefix, 1024, out _));
    }

    [Fact]
    public void Truncated_padded_or_unknown_frames_are_refused()
    {
        var output = new ArrayBufferWriter<byte>();
        LaneProtocol.WriteAnswer(output, 1, KeyOutcome.Created, withValue: false);
        byte[] body = output.WrittenSpan[LaneProtocol.LengthPrefix..].ToArray();

        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadAnswer(body.AsSpan(0, body.Length - 1)));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadAnswer([.. body, 0]));
        body[5] = 200; // the outcome byte, after the frame kind and the id
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadAnswer(body));
        Assert.Throws<LaneProtocolException>(() => LaneProtocol.ReadRequest(new byte[LaneProtocol.MacLength - 1]));
    }

    private static bool Verify(LaneMac mac, byte[] frame)
    {
        LaneRequest request = LaneProtocol.ReadRequest(frame.AsSpan(LaneProtocol.LengthPrefix));
        return mac.VerifyNext(request.Authenticated, request.Mac);
    }
}
