using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace ShardedKvs.Node.Security;

/// <summary>
/// The cluster's shared secrets. Internal calls are signed with the first key and accepted with any,
/// so a key can be rotated without downtime: add the new key second everywhere, then first, then
/// drop the old one. The keys never leave this type: not in logs, traces or answers.
/// </summary>
public sealed class ClusterKeys
{
    public const int MinKeyLength = 16;

    private readonly byte[][] _keys;

    public ClusterKeys(string configured)
    {
        string[] keys = configured.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (keys.Length == 0 || keys.Any(k => k.Length < MinKeyLength))
        {
            throw new InvalidOperationException(
                $"CLUSTER_KEY must be set to a shared secret of at least {MinKeyLength} characters, the same on every node " +
                "(several comma-separated keys are allowed during a rotation).");
        }

        _keys = keys.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    public string Sign(in SignedFields fields) => Convert.ToBase64String(Mac(_keys[0], fields));

    /// <summary>Whether <paramref name="signature"/> was made with any of the keys, compared in constant time.</summary>
    public bool Verify(in SignedFields fields, string signature) => Verify(fields, signature, out _);

    /// <param name="keyIndex">Which key made the signature: the one a forwarding lane opened by this
    /// call derives its session key from (<see cref="DeriveLaneKey"/>).</param>
    public bool Verify(in SignedFields fields, string signature, out int keyIndex)
    {
        keyIndex = -1;
        Span<byte> presented = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(signature, presented, out int length) || length != presented.Length)
        {
            return false;
        }

        for (int i = 0; i < _keys.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(Mac(_keys[i], fields), presented) && keyIndex < 0)
            {
                keyIndex = i;
            }
        }

        return keyIndex >= 0;
    }

    /// <summary>
    /// The session key of one forwarding lane: HMAC of the lane's context (both sides' fresh nonces
    /// and the sender) under a cluster key. The signing key (index 0) on the side that opens the lane;
    /// the key that verified its signature on the side that accepts it, which is the same secret.
    /// </summary>
    public byte[] DeriveLaneKey(int keyIndex, string context) =>
        HMACSHA256.HashData(_keys[keyIndex], Encoding.UTF8.GetBytes("kvs-lane\n" + context));

    private static byte[] Mac(byte[] key, in SignedFields fields)
    {
        // method \n path \n sender \n timestamp \n SHA-256(body)
        string header = string.Join('\n', fields.Method, fields.PathAndQuery, fields.Sender, fields.Timestamp, "");
        int headerBytes = Encoding.UTF8.GetByteCount(header);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(headerBytes + SHA256.HashSizeInBytes);
        try
        {
            int written = Encoding.UTF8.GetBytes(header, buffer);
            written += SHA256.HashData(fields.Body.Span, buffer.AsSpan(written));
            return HMACSHA256.HashData(key, buffer.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
