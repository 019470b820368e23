using System.Security.Cryptography;
using System.Text;

namespace RaftSpike.Security;

/// <summary>
/// HMAC-SHA256 under the cluster key over what a captured Raft call must not be replayed with:
/// method, path, DotNext's sender header (X-Raft-Node-ID), a timestamp and the body's hash. Same
/// fields as the product's ClusterAuthMiddleware, so the product could reuse its ClusterKeys.
/// </summary>
public sealed class RaftSignature(string clusterKey)
{
    public const string SignatureHeader = "X-Kvs-Raft-Signature";
    public const string TimestampHeader = "X-Kvs-Raft-Timestamp";
    public const string SenderHeader = "X-Raft-Node-ID";
    public static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);

    private readonly byte[] _key = Encoding.UTF8.GetBytes(clusterKey);

    public string Sign(string method, string path, string sender, string timestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> bodyHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, bodyHash);
        byte[] fields = Encoding.UTF8.GetBytes($"{method}\n{path}\n{sender}\n{timestamp}\n{Convert.ToHexString(bodyHash)}");
        return Convert.ToBase64String(HMACSHA256.HashData(_key, fields));
    }

    public bool Verify(string method, string path, string sender, string timestamp, ReadOnlySpan<byte> body, string presented)
    {
        byte[] expected = Convert.FromBase64String(Sign(method, path, sender, timestamp, body));
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        return Convert.TryFromBase64String(presented, given, out int written)
            && written == given.Length
            && CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
