using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// Authenticates the request frames of one lane: HMAC-SHA256 under the lane's session key over a
/// sequence number and the frame, truncated to <see cref="LaneProtocol.MacLength"/> bytes. The
/// sequence number is implicit (both sides count frames), so a frame cannot be injected, replayed,
/// reordered or dropped on the connection without the next MAC failing. Not thread-safe: the sender
/// signs under its send lock, the receiver verifies on its one read loop.
/// </summary>
public sealed class LaneMac(byte[] sessionKey) : IDisposable
{
    private readonly IncrementalHash _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, sessionKey);
    private ulong _sequence;

    public void Sign(ReadOnlySpan<byte> frame, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeNext(frame, full);
        full[..LaneProtocol.MacLength].CopyTo(mac);
    }

    public bool VerifyNext(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> mac)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeNext(frame, full);
        return CryptographicOperations.FixedTimeEquals(full[..LaneProtocol.MacLength], mac);
    }

    private void ComputeNext(ReadOnlySpan<byte> frame, Span<byte> destination)
    {
        Span<byte> sequence = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(sequence, _sequence++);
        _hmac.AppendData(sequence);
        _hmac.AppendData(frame);
        _hmac.GetHashAndReset(destination);
    }

    public void Dispose() => _hmac.Dispose();
}
