using System.Buffers.Binary;

namespace ShardedKvs.Node.Storage;

/// <summary>
/// One stored key and its value in a single array:
/// [key length, 7-bit varint][key UTF-8][version, 8 bytes little-endian][value].
/// One object per key instead of a dictionary node, a UTF-16 string and a value array: the
/// 1M × 100 B load goes from three object headers and two pointers per key to one header.
/// The version orders a key's replicated writes (see docs/replication.md); 0 for a plain write.
/// An entry is never written after it is published; a new value is a new entry.
/// </summary>
internal static class EntryLayout
{
    private const int VersionBytes = sizeof(long);

    public static byte[] Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long version = 0)
    {
        int header = VarintLength(key.Length);

        // On the pinned object heap: an entry lives as long as its key, so on the small-object heap
        // it would be copied up to gen2 and, once replaced, leave a hole there that RSS keeps until a
        // compacting full GC. The POH allocates it in place once and reuses freed space from a free
        // list. Allocation is slower (a locked path), a fair price for one allocation per PUT.
        byte[] entry = GC.AllocateUninitializedArray<byte>(header + key.Length + VersionBytes + value.Length, pinned: true);
        int position = 0;
        uint rest = (uint)key.Length;
        while (rest >= 0x80)
        {
            entry[position++] = (byte)(rest | 0x80);
            rest >>= 7;
        }

        entry[position] = (byte)rest;
        key.CopyTo(entry.AsSpan(header));
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(header + key.Length), version);
        value.CopyTo(entry.AsSpan(header + key.Length + VersionBytes));
        return entry;
    }

    public static ReadOnlySpan<byte> Key(byte[] entry)
    {
        int length = KeyLength(entry, out int header);
        return entry.AsSpan(header, length);
    }

    public static ReadOnlyMemory<byte> Value(byte[] entry)
    {
        int length = KeyLength(entry, out int header);
        return entry.AsMemory(header + length + VersionBytes);
    }

    public static long Version(byte[] entry)
    {
        int length = KeyLength(entry, out int header);
        return BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(header + length));
    }

    public static bool HasKey(byte[] entry, ReadOnlySpan<byte> key)
    {
        // The common case (a key shorter than 128 bytes) decides on its first byte, with no loop.
        byte first = entry[0];
        if (first < 0x80)
        {
            return first == key.Length && entry.AsSpan(1, first).SequenceEqual(key);
        }

        return Key(entry).SequenceEqual(key);
    }

    private static int KeyLength(byte[] entry, out int header)
    {
        int length = 0;
        int shift = 0;
        header = 0;
        byte next;
        do
        {
            next = entry[header++];
            length |= (next & 0x7F) << shift;
            shift += 7;
        }
        while (next >= 0x80);

        return length;
    }

    private static int VarintLength(int value)
    {
        int length = 1;
        for (uint rest = (uint)value; rest >= 0x80; rest >>= 7)
        {
            length++;
        }

        return length;
    }
}
