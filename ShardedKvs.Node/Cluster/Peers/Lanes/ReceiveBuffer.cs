namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>The bytes a lane has received and not yet parsed: frames are read from the front,
/// the socket fills the back. Grows to hold the largest frame seen.</summary>
public sealed class ReceiveBuffer(int initialSize = 16 * 1024)
{
    private byte[] _buffer = new byte[initialSize];
    private int _start;
    private int _end;

    public ReadOnlySpan<byte> Data => _buffer.AsSpan(_start, _end - _start);

    /// <summary><see cref="Data"/> as memory, for a reader that keeps slices while it parses.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(_start, _end - _start);

    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>Room for at least <paramref name="minimum"/> more bytes after the buffered ones.</summary>
    public Memory<byte> FreeSpace(int minimum)
    {
        int buffered = _end - _start;
        if (_buffer.Length - _end < minimum)
        {
            byte[] target = buffered + minimum > _buffer.Length ? new byte[Math.Max(_buffer.Length * 2, buffered + minimum)] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, buffered);
            _buffer = target;
            _start = 0;
            _end = buffered;
        }

        return _buffer.AsMemory(_end);
    }

    public void Commit(int count) => _end += count;
}
