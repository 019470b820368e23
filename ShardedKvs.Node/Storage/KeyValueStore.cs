using System.Collections.Concurrent;

namespace ShardedKvs.Node.Storage;

/// <summary>
/// The keys this node holds. Values are kept as UTF-8 bytes (half the memory of UTF-16 strings for
/// ASCII). Every operation is atomic on its own; callers that need several steps to be atomic
/// (the migration hand-off) order them with <see cref="Cluster.KeyLocks"/>.
/// </summary>
public sealed class KeyValueStore
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool TryGet(string key, out byte[] value) => _entries.TryGetValue(key, out value!);

    public bool Contains(string key) => _entries.ContainsKey(key);

    /// <summary>Stores the value; true when it replaced an existing one. Decided atomically: of two
    /// concurrent first writes exactly one reports a new key.</summary>
    public bool Put(string key, byte[] value)
    {
        while (true)
        {
            if (_entries.TryAdd(key, value))
            {
                return false;
            }

            if (_entries.TryGetValue(key, out byte[]? current) && _entries.TryUpdate(key, value, current))
            {
                return true;
            }
        }
    }

    public bool Remove(string key) => _entries.TryRemove(key, out _);

    /// <summary>Removes the key only if it still holds exactly <paramref name="expected"/>.</summary>
    public bool RemoveIfUnchanged(string key, byte[] expected) =>
        _entries.TryRemove(new KeyValuePair<string, byte[]>(key, expected));

    /// <summary>A moment-in-time-free walk over the keys; safe while other threads write.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Entries => _entries;
}
