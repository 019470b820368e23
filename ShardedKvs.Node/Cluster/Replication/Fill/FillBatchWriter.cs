using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// Builds one batch at a time (<see cref="FillBatchFormat"/>), bounded in keys and in bytes. A batch
/// always takes its first entry, so a value larger than the byte bound still travels, alone.
/// Not thread-safe: one copy loop owns it.
/// </summary>
public sealed class FillBatchWriter
{
    private readonly int _maxKeys;
    private readonly int _maxBytes;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private int _count;

    public FillBatchWriter(int maxKeys, int maxBytes)
    {
        _maxKeys = Math.Max(1, maxKeys);
        _maxBytes = Math.Max(FillBatchFormat.HeaderBytes + FillBatchFormat.MinEntryBytes, maxBytes);
        Reset();
    }

    public int Count => _count;

    public bool IsFull => _count >= _maxKeys;

    /// <summary>Appends an entry; false (and nothing written) when the batch is full by keys, or by
    /// bytes unless it is still empty.</summary>
    public bool TryAdd(string key, long version, ReadOnlySpan<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        int keyBytes = Encoding.UTF8.GetByteCount(key);
        if (keyBytes is 0 or > FillBatchFormat.MaxKeyBytes)
        {
            throw new ArgumentException($"A fill batch carries keys of 1 to {FillBatchFormat.MaxKeyBytes} UTF-8 bytes (got {keyBytes})", nameof(key));
        }

        int entryBytes = FillBatchFormat.EntryOverheadBytes + keyBytes + value.Length;
        if (IsFull || (_count > 0 && (long)_buffer.WrittenCount + entryBytes > _maxBytes))
        {
            return false;
        }

        Span<byte> entry = _buffer.GetSpan(entryBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)keyBytes);
        Encoding.UTF8.GetBytes(key, entry[sizeof(ushort)..]);
        int position = sizeof(ushort) + keyBytes;
        BinaryPrimitives.WriteInt64LittleEndian(entry[position..], version);
        position += sizeof(long);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[position..], (uint)value.Length);
        value.CopyTo(entry[(position + sizeof(uint))..]);
        _buffer.Advance(entryBytes);
        _count++;
        return true;
    }

    /// <summary>The batch written so far, in a body of its own; the writer starts the next one.</summary>
    public FillBatch Build()
    {
        byte[] body = _buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(1), (uint)_count);
        var batch = new FillBatch(body, _count);
        Reset();
        return batch;
    }

    private void Reset()
    {
        _buffer.ResetWrittenCount();
        Span<byte> header = _buffer.GetSpan(FillBatchFormat.HeaderBytes);
        header[0] = FillBatchFormat.Version1;
        header[1..FillBatchFormat.HeaderBytes].Clear();
        _buffer.Advance(FillBatchFormat.HeaderBytes);
        _count = 0;
    }
}
