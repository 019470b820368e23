using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
    private bool _built; // the buffer holds a built batch, cleared by the next TryAdd

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
    public bool TryAdd(string key, long version, ReadOnlySpan<byte> value) =>
        TryAdd(Encoding.UTF8.GetBytes(key), version, value);

    /// <summary>Like <see cref="TryAdd(string, long, ReadOnlySpan{byte})"/>, with the key's UTF-8 bytes.</summary>
    public bool TryAdd(ReadOnlySpan<byte> keyUtf8, long version, ReadOnlySpan<byte> value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        if (keyUtf8.Length is 0 or > FillBatchFormat.MaxKeyBytes)
        {
            throw new ArgumentException($"A fill batch carries keys of 1 to {FillBatchFormat.MaxKeyBytes} UTF-8 bytes (got {keyUtf8.Length})", nameof(keyUtf8));
        }

        if (_built)
        {
            Reset();
        }

        int entryBytes = FillBatchFormat.EntryOverheadBytes + keyUtf8.Length + value.Length;
        if (IsFull || (_count > 0 && (long)_buffer.WrittenCount + entryBytes > _maxBytes))
        {
            return false;
        }

        Span<byte> entry = _buffer.GetSpan(entryBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(entry, (ushort)keyUtf8.Length);
        keyUtf8.CopyTo(entry[sizeof(ushort)..]);
        int position = sizeof(ushort) + keyUtf8.Length;
        BinaryPrimitives.WriteInt64LittleEndian(entry[position..], version);
        position += sizeof(long);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[position..], (uint)value.Length);
        value.CopyTo(entry[(position + sizeof(uint))..]);
        _buffer.Advance(entryBytes);
        _count++;
        return true;
    }

    /// <summary>The batch written so far; the writer starts the next one. The body is a view of the
    /// writer's buffer, valid until the next <see cref="TryAdd(ReadOnlySpan{byte}, long, ReadOnlySpan{byte})"/>:
    /// a copy loop sends one batch at a time, so batches need no buffer of their own (a thousand keys
    /// would put each on the large object heap).</summary>
    public FillBatch Build()
    {
        if (_built)
        {
            Reset();
        }

        ReadOnlyMemory<byte> body = _buffer.WrittenMemory;
        BinaryPrimitives.WriteUInt32LittleEndian(MemoryMarshal.AsMemory(body).Span[1..], (uint)_count);
        var batch = new FillBatch(body, _count);
        _count = 0;
        _built = true;
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
        _built = false;
    }
}
