using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ShardedKvs.Client.Caching;

/// <summary>
/// Maps cache keys (any length) to store keys (at most 50 characters). A key that fits is kept
/// readable ("v:" + key); a longer one becomes "h:" + 32 characters of base64url SHA-256 (192 bits:
/// a collision needs about 2^96 keys). The two forms cannot meet, since their prefixes differ.
/// Entries with a sliding window keep their last access under a second key ("t:" / "s:").
/// </summary>
internal sealed class CacheKeyMapper
{
    public const int StoreMaxKeyLength = 50;
    private const int HashChars = 32;

    private readonly string _prefix;

    public CacheKeyMapper(string instanceName)
    {
        ArgumentNullException.ThrowIfNull(instanceName);
        if (instanceName.Length > ShardedKvsDistributedCacheOptions.MaxInstanceNameLength)
        {
            throw new ArgumentException(
                $"InstanceName may have at most {ShardedKvsDistributedCacheOptions.MaxInstanceNameLength} characters (it has {instanceName.Length}).",
                nameof(instanceName));
        }

        _prefix = instanceName;
    }

    /// <summary>The store key of the entry's value.</summary>
    public string ValueKey(string key) => Map(key, "v:", "h:");

    /// <summary>The store key of the entry's last access (sliding expiry only).</summary>
    public string TouchKey(string key) => Map(key, "t:", "s:");

    private string Map(string key, string plainTag, string hashedTag)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (_prefix.Length + plainTag.Length + key.Length <= StoreMaxKeyLength)
        {
            return string.Concat(_prefix, plainTag, key);
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        Span<byte> encoded = stackalloc byte[Base64Url.GetEncodedLength(hash.Length)];
        Base64Url.EncodeToUtf8(hash, encoded);
        return string.Concat(_prefix, hashedTag, Encoding.ASCII.GetString(encoded[..HashChars]));
    }
}
