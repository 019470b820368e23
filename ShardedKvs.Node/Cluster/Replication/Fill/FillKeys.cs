namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// The keys of one <see cref="FillQueue"/>: their UTF-8 bytes end to end in one buffer, and where each
/// ends in another. A plan lives as long as its fill (seconds), so tens of thousands of key strings
/// would each be copied by the first collection of the fill, which pauses every request of the node
/// while it copies; two arrays are copied in no time, and once large, are never copied at all.
/// </summary>
/// <remarks>Not thread-safe: one walk fills it, then the one copy loop that awaited the walk reads it.</remarks>
public sealed class FillKeys
{
    private byte[] _bytes = new byte[1024];
    private int[] _ends = new int[64];
    private int _count;

    public int Count => _count;

    /// <summary>The UTF-8 bytes of key <paramref name="index"/>, a view of this list's buffer.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            int start = index == 0 ? 0 : _ends[index - 1];
            return _bytes.AsSpan(start, _ends[index] - start);
        }
    }

    public void Add(ReadOnlySpan<byte> keyUtf8)
    {
        int start = _count == 0 ? 0 : _ends[_count - 1];
        int end = start + keyUtf8.Length;
        if (end > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(end, _bytes.Length * 2));
        }

        if (_count == _ends.Length)
        {
            Array.Resize(ref _ends, _ends.Length * 2);
        }

        keyUtf8.CopyTo(_bytes.AsSpan(start));
        _ends[_count++] = end;
    }
}
