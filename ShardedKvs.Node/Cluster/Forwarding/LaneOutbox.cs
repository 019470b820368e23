using System.Buffers;

namespace ShardedKvs.Node.Cluster.Forwarding;

/// <summary>
/// What a lane has to send. Any thread appends whole frames under <see cref="Gate"/> and calls
/// <see cref="Signal"/>; one send loop swaps the buffer out and writes everything appended so far in
/// one call. Under load that is many frames per system call, which is where a lane saves over one
/// HTTP exchange per request. No lock is held while the bytes go out.
/// </summary>
public sealed class LaneOutbox : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0);
    private ArrayBufferWriter<byte> _filling = new(16 * 1024);
    private ArrayBufferWriter<byte> _sending = new(16 * 1024);
    private int _signaled;

    public Lock Gate { get; } = new();

    /// <summary>Where frames are appended; only under <see cref="Gate"/>.</summary>
    public IBufferWriter<byte> Frames => _filling;

    public void Signal()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            _signal.Release();
        }
    }

    public async Task SendLoopAsync(Stream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _signal.WaitAsync(cancellationToken);

            // Cleared before the swap: a frame appended after it signals again.
            Volatile.Write(ref _signaled, 0);
            lock (Gate)
            {
                (_filling, _sending) = (_sending, _filling);
            }

            if (_sending.WrittenCount > 0)
            {
                await stream.WriteAsync(_sending.WrittenMemory, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                _sending.ResetWrittenCount();
            }
        }
    }

    public void Dispose() => _signal.Dispose();
}
