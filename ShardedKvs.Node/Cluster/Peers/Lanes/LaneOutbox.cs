using System.Buffers;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// What a lane has to send. Any thread appends whole frames under <see cref="Gate"/>; the first one
/// to find nobody sending becomes the sender and writes, in one call, everything appended so far,
/// then again whatever was appended meanwhile. Under load that is many frames per system call (where
/// a lane saves over one HTTP exchange per request), and no thread is woken just to send. No lock is
/// held while the bytes go out.
/// </summary>
/// <param name="gate">The lock of the lane that owns this outbox; the lane may guard its own state with it too.</param>
public sealed class LaneOutbox(Stream stream, Lock gate)
{
    private ArrayBufferWriter<byte> _filling = new(16 * 1024);
    private ArrayBufferWriter<byte> _sending = new(16 * 1024);
    private bool _sendingNow;

    public Lock Gate { get; } = gate;

    /// <summary>Where frames are appended; only under <see cref="Gate"/>.</summary>
    public IBufferWriter<byte> Frames => _filling;

    /// <summary>Under <see cref="Gate"/>, after appending: true when the caller must now call
    /// <see cref="SendAsync"/> (outside the lock), because nobody else is sending.</summary>
    public bool ClaimSending()
    {
        if (_sendingNow)
        {
            return false;
        }

        _sendingNow = true;
        return true;
    }

    /// <summary>Sends until nothing is left; only by the caller that claimed sending.</summary>
    public async Task SendAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (Gate)
            {
                if (_filling.WrittenCount == 0)
                {
                    _sendingNow = false;
                    return;
                }

                (_filling, _sending) = (_sending, _filling);
            }

            await stream.WriteAsync(_sending.WrittenMemory, cancellationToken);
            _sending.ResetWrittenCount();
        }
    }
}
