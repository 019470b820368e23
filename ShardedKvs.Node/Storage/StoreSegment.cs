namespace ShardedKvs.Node.Storage;

/// <summary>
/// One lock's share of the store: an open-addressing table (linear probing) of entries. Writers
/// take the lock; readers take none. That is safe because readers only ever see whole entries:
/// an entry is immutable, a slot changes by one reference write, a removed key leaves a tombstone
/// (so no key behind it in a probe chain moves), and a resize fills a new array and publishes it,
/// never touching the old one again.
/// </summary>
internal sealed class StoreSegment(long seed)
{
    private const int MinCapacity = 8;

    // Not a real entry: every entry has at least its key-length byte.
    private static readonly byte[] Removed = [];

    private readonly Lock _gate = new();
    private byte[]?[] _slots = new byte[]?[MinCapacity];
    private int _count;

    // Live entries plus tombstones: what fills probe chains. Kept below 3/4 of the capacity, so
    // every chain ends at an empty slot.
    private int _used;

    public int Count => Volatile.Read(ref _count);

    public byte[]? Find(ReadOnlySpan<byte> key, ulong hash)
    {
        byte[]?[] slots = Volatile.Read(ref _slots);
        int mask = slots.Length - 1;
        for (int i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            byte[]? entry = Volatile.Read(ref slots[i]);
            if (entry is null)
            {
                return null;
            }

            if (entry != Removed && EntryLayout.HasKey(entry, key))
            {
                return entry;
            }
        }
    }

    /// <summary>Stores <paramref name="entry"/> under <paramref name="key"/>; true when it replaced one.</summary>
    public bool Put(ReadOnlySpan<byte> key, ulong hash, byte[] entry) =>
        Put(key, hash, entry, onlyIfNewer: false) == PutOutcome.Replaced;

    /// <summary>Stores <paramref name="entry"/> unless, when <paramref name="onlyIfNewer"/>, the key
    /// holds an entry of the same or a newer version.</summary>
    public PutOutcome Put(ReadOnlySpan<byte> key, ulong hash, byte[] entry, bool onlyIfNewer)
    {
        lock (_gate)
        {
            byte[]?[] slots = _slots;
            int mask = slots.Length - 1;
            int free = -1;
            int i = (int)hash & mask;
            for (; slots[i] is { } current; i = (i + 1) & mask)
            {
                if (current == Removed)
                {
                    free = free < 0 ? i : free;
                }
                else if (EntryLayout.HasKey(current, key))
                {
                    if (onlyIfNewer && EntryLayout.Version(current) >= EntryLayout.Version(entry))
                    {
                        return PutOutcome.Stale;
                    }

                    Volatile.Write(ref slots[i], entry);
                    return PutOutcome.Replaced;
                }
            }

            if (free < 0)
            {
                if ((_used + 1) * 4 > slots.Length * 3)
                {
                    slots = Rehash(CapacityFor(_count + 1));
                    free = FreeSlot(slots, hash);
                }
                else
                {
                    free = i;
                }

                _used++;
            }

            Volatile.Write(ref slots[free], entry);
            Volatile.Write(ref _count, _count + 1);
            return PutOutcome.Created;
        }
    }

    /// <summary>Removes the key; when <paramref name="expected"/> is set, only while it still holds that very entry.</summary>
    public bool Remove(ReadOnlySpan<byte> key, ulong hash, byte[]? expected) => Remove(key, hash, expected, olderThan: null);

    /// <summary>Removes the key; when <paramref name="expected"/> is set, only while it still holds that
    /// very entry; when <paramref name="olderThan"/> is set, only if its version is below it.</summary>
    public bool Remove(ReadOnlySpan<byte> key, ulong hash, byte[]? expected, long? olderThan)
    {
        lock (_gate)
        {
            byte[]?[] slots = _slots;
            int mask = slots.Length - 1;
            for (int i = (int)hash & mask; slots[i] is { } current; i = (i + 1) & mask)
            {
                if (current == Removed || !EntryLayout.HasKey(current, key))
                {
                    continue;
                }

                if ((expected is not null && current != expected) || EntryLayout.Version(current) >= olderThan)
                {
                    return false;
                }

                Volatile.Write(ref slots[i], Removed);
                Volatile.Write(ref _count, _count - 1);

                // A store that shrank gives its table back rather than probing through tombstones.
                if (slots.Length > MinCapacity && _count * 8 < slots.Length)
                {
                    Rehash(CapacityFor(_count));
                }

                return true;
            }

            return false;
        }
    }

    /// <summary>The entries at the time each slot is read; safe while writers run.</summary>
    public IEnumerable<byte[]> Entries()
    {
        byte[]?[] slots = Volatile.Read(ref _slots);
        for (int i = 0; i < slots.Length; i++)
        {
            byte[]? entry = Volatile.Read(ref slots[i]);
            if (entry is not null && entry != Removed)
            {
                yield return entry;
            }
        }
    }

    /// <summary>A power of two that holds <paramref name="count"/> keys at most half full.</summary>
    private static int CapacityFor(int count)
    {
        int capacity = MinCapacity;
        while (capacity < count * 2)
        {
            capacity *= 2;
        }

        return capacity;
    }

    private static int FreeSlot(byte[]?[] slots, ulong hash)
    {
        int mask = slots.Length - 1;
        int i = (int)hash & mask;
        while (slots[i] is not null)
        {
            i = (i + 1) & mask;
        }

        return i;
    }

    private byte[]?[] Rehash(int capacity)
    {
        var slots = new byte[]?[capacity];
        foreach (byte[]? entry in _slots)
        {
            if (entry is not null && entry != Removed)
            {
                slots[FreeSlot(slots, KeyValueStore.Hash(EntryLayout.Key(entry), seed))] = entry;
            }
        }

        _used = _count;
        Volatile.Write(ref _slots, slots);
        return slots;
    }
}
