using System.Text;

namespace ShardedKvs.Node.Storage;

/// <summary>One key and its value as the store holds them, seen while walking the store.</summary>
public readonly struct StoredEntry
{
    private readonly byte[] _entry;

    internal StoredEntry(byte[] entry) => _entry = entry;

    /// <summary>The key's UTF-8 bytes, without building a string (hashing needs only these).</summary>
    public ReadOnlySpan<byte> KeyUtf8 => EntryLayout.Key(_entry);

    public string Key => Encoding.UTF8.GetString(KeyUtf8);

    public ReadOnlyMemory<byte> Value => EntryLayout.Value(_entry);

    /// <summary>The version the value was written at (0 for a write that was not replicated).</summary>
    public long Version => EntryLayout.Version(_entry);
}
