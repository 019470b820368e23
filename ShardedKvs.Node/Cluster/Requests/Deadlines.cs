namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>Waiting for something until a request's deadline, a <see cref="TimeProvider.GetTimestamp"/> value.</summary>
public static class Deadlines
{
    // A far deadline must not exceed the longest timer there is.
    private const double MaxWaitSeconds = 24 * 60 * 60;

    /// <summary>A deadline <paramref name="after"/> from now.</summary>
    public static long From(TimeProvider time, TimeSpan after) => time.GetTimestamp() + (long)(after.TotalSeconds * time.TimestampFrequency);

    /// <summary>Waits for <paramref name="task"/>; false when <paramref name="deadline"/> passed first.</summary>
    public static async ValueTask<bool> WaitAsync(Task task, long deadline, TimeProvider time, CancellationToken cancellationToken)
    {
        if (task.IsCompleted)
        {
            return true;
        }

        while (true)
        {
            long remaining = deadline - time.GetTimestamp();
            if (remaining <= 0)
            {
                return false;
            }

            try
            {
                await task.WaitAsync(TimeSpan.FromSeconds(Math.Min((double)remaining / time.TimestampFrequency, MaxWaitSeconds)), time, cancellationToken);
                return true;
            }
            catch (TimeoutException)
            {
                // The deadline, or the longest wait in one go: look again.
            }
        }
    }
}
