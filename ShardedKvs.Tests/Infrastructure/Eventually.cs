namespace ShardedKvs.Tests.Infrastructure;

/// <summary>Waits for a condition with a deadline: the tests' replacement for sleeps.</summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Until(what, timeout, _ => condition(), done => done);

    /// <summary>
    /// Probes until <paramref name="done"/> accepts the probe's answer and returns that answer. A probe
    /// that throws HttpRequestException counts as "not yet". Fails with the last answer after the deadline.
    /// </summary>
    public static async Task<T> Until<T>(string what, TimeSpan deadline, Func<CancellationToken, Task<T>> probe, Func<T, bool> done)
    {
        using var timeout = new CancellationTokenSource(deadline);
        using var ticks = new PeriodicTimer(Interval);
        string last = "no answer yet";
        try
        {
            do
            {
                try
                {
                    T answer = await probe(timeout.Token);
                    if (done(answer))
                    {
                        return answer;
                    }

                    last = answer?.ToString() ?? "null";
                }
                catch (HttpRequestException e)
                {
                    last = e.Message;
                }
            }
            while (await ticks.WaitForNextTickAsync(timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"Timed out after {deadline.TotalSeconds:0} s waiting for {what}; last answer: {last}");
    }
}
