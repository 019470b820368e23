namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>
/// Keeps a fill at or below a rate of keys per second, so that copying leaves the cores to clients:
/// before each batch it waits, on the <see cref="TimeProvider"/>'s timer, until the keys already sent
/// are within the rate. The first batch goes at once. Not thread-safe: one copy loop owns it.
/// </summary>
public sealed class FillPacer(TimeProvider time, int keysPerSecond)
{
    private long _started = -1;
    private long _keysSent;

    /// <summary>Waits until the next batch may go.</summary>
    public Task WaitTurnAsync(CancellationToken cancellationToken)
    {
        if (keysPerSecond <= 0)
        {
            return Task.CompletedTask;
        }

        long now = time.GetTimestamp();
        if (_started < 0)
        {
            _started = now;
            return Task.CompletedTask;
        }

        TimeSpan due = TimeSpan.FromSeconds((double)_keysSent / keysPerSecond);
        TimeSpan early = due - time.GetElapsedTime(_started, now);
        return early > TimeSpan.Zero ? Task.Delay(early, time, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Counts the keys of a batch that went.</summary>
    public void Sent(int keys) => _keysSent += keys;
}
