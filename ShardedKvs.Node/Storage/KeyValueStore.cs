using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace ShardedKvs.Node.Storage;

/// <summary>
/// The keys this node holds, each key and value in one compact entry (<see cref="EntryLayout"/>).
/// Values are UTF-8 bytes and come back as views of the stored entry, which is never written
/// again, so a reader may write one out while the key is being replaced. Every operation is atomic
/// on its own; callers that need several steps to be atomic (the migration hand-off) order them
/// with <see cref="Cluster.Requests.KeysInFlight"/>.
/// </summary>
public sealed class KeyValueStore
{
    // Enough locks that two cores' writers rarely meet, and small tables, so a resize holds one
    // lock only briefly.
    private const int SegmentBits = 8;

    // Random per process: keys crafted to collide cannot pile up in one probe chain.
    private readonly long _seed = Random.Shared.NextInt64();
    private readonly StoreSegment[] _segments;

    public KeyValueStore()
    {
        _segments = new StoreSegment[1 << SegmentBits];
        for (int i = 0; i < _segments.Length; i++)
        {
            _segments[i] = new StoreSegment(_seed);
        }
    }

    public int Count
    {
        get
        {
            int count = 0;
            foreach (StoreSegment segment in _segments)
            {
                count += segment.Count;
            }

            return count;
        }
    }

    public bool TryGet(string key, out ReadOnlyMemory<byte> value)
    {
        byte[]? entry = Find(key);
        value = entry is null ? default : EntryLayout.Value(entry);
        return entry is not null;
    }

    /// <summary>Like <see cref="TryGet(string, out ReadOnlyMemory{byte})"/>, with the version the value was written at.</summary>
    public bool TryGet(string key, out ReadOnlyMemory<byte> value, out long version)
    {
        using var utf8 = new Utf8Key(key, stackalloc byte[Utf8Key.StackBytes]);
        return TryGet(utf8.Bytes, out value, out version);
    }

    /// <summary>Like <see cref="TryGet(string, out ReadOnlyMemory{byte}, out long)"/>, by the key's UTF-8 bytes.</summary>
    public bool TryGet(ReadOnlySpan<byte> keyUtf8, out ReadOnlyMemory<byte> value, out long version)
    {
        byte[]? entry = Find(keyUtf8);
        value = entry is null ? default : EntryLayout.Value(entry);
        version = entry is null ? 0 : EntryLayout.Version(entry);
        return entry is not null;
    }

    public bool Contains(string key) => TryGet(key, out _);

    /// <summary>Stores a copy of the value; true when it replaced an existing one. Decided
    /// atomically: of two concurrent first writes exactly one reports a new key.</summary>
    public bool Put(string key, ReadOnlySpan<byte> value)
    {
        using var utf8 = new Utf8Key(key, stackalloc byte[Utf8Key.StackBytes]);
        ulong hash = Hash(utf8.Bytes, _seed);
        return SegmentOf(hash).Put(utf8.Bytes, hash, EntryLayout.Create(utf8.Bytes, value));
    }

    /// <summary>Stores the value at <paramref name="version"/> unless the key already holds that
    /// version or a newer one: a replicated write that arrives late never overwrites a newer one.</summary>
    public PutOutcome PutIfNewer(string key, ReadOnlySpan<byte> value, long version)
    {
        using var utf8 = new Utf8Key(key, stackalloc byte[Utf8Key.StackBytes]);
        return PutIfNewer(utf8.Bytes, value, version);
    }

    /// <summary>Like <see cref="PutIfNewer(string, ReadOnlySpan{byte}, long)"/>, by the key's UTF-8
    /// bytes, which the caller has checked are valid UTF-8.</summary>
    public PutOutcome PutIfNewer(ReadOnlySpan<byte> keyUtf8, ReadOnlySpan<byte> value, long version)
    {
        ulong hash = Hash(keyUtf8, _seed);
        return SegmentOf(hash).Put(keyUtf8, hash, EntryLayout.Create(keyUtf8, value, version), onlyIfNewer: true);
    }

    /// <summary>Removes the key only if the value it holds was written at a version below
    /// <paramref name="version"/> (a replicated delete never removes a newer write).</summary>
    public bool RemoveIfOlderThan(string key, long version)
    {
        using var utf8 = new Utf8Key(key, stackalloc byte[Utf8Key.StackBytes]);
        ulong hash = Hash(utf8.Bytes, _seed);
        return SegmentOf(hash).Remove(utf8.Bytes, hash, expected: null, olderThan: version);
    }

    public bool Remove(string key)
    {
        using var utf8 = new Utf8Key(key, stackalloc byte[Utf8Key.StackBytes]);
        ulong hash = Hash(utf8.Bytes, _seed);
        return SegmentOf(hash).Remove(utf8.Bytes, hash, expected: null);
    }

    /// <summary>Removes the key only if it still holds the very value <paramref name="expected"/>
    /// was read from (by <see cref="TryGet"/> or <see cref="Entries"/>): a value written since,
    /// even an equal one, stays.</summary>
    public bool RemoveIfUnchanged(string key, ReadOnlyMemory<byte> expected)
    {
        if (!MemoryMarshal.TryGetArray(expected, out ArraySegment<byte> stored) || stored.Array is null)
        {
            return false;
        }

        using var utf8 = new Utf8Key(key, stackalloc byte[Utf8Key.StackBytes]);
        ulong hash = Hash(utf8.Bytes, _seed);
        return SegmentOf(hash).Remove(utf8.Bytes, hash, stored.Array);
    }

    /// <summary>Removes every key (a process the cluster excluded starts over empty).</summary>
    public void Clear()
    {
        foreach (StoredEntry entry in Entries)
        {
            Remove(entry.Key);
        }
    }

    /// <summary>A moment-in-time-free walk over the keys; safe while other threads write. A key
    /// present throughout the walk is seen exactly once.</summary>
    public IEnumerable<StoredEntry> Entries
    {
        get
        {
            foreach (StoreSegment segment in _segments)
            {
                foreach (byte[] entry in segment.Entries())
                {
                    yield return new StoredEntry(entry);
                }
            }
        }
    }

    private byte[]? Find(string key)
    {
        using var utf8 = new Utf8Key(key, stackalloc byte[Utf8Key.StackBytes]);
        return Find(utf8.Bytes);
    }

    private byte[]? Find(ReadOnlySpan<byte> keyUtf8)
    {
        ulong hash = Hash(keyUtf8, _seed);
        return SegmentOf(hash).Find(keyUtf8, hash);
    }

    internal static ulong Hash(ReadOnlySpan<byte> key, long seed) => XxHash3.HashToUInt64(key, seed);

    private StoreSegment SegmentOf(ulong hash) => _segments[(int)(hash >> (64 - SegmentBits))];
}
