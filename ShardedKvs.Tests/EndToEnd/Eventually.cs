namespace ShardedKvs.Tests.EndToEnd;

/// <summary>Waits for a condition by probing it until it holds or a deadline passes.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Probes until <paramref name="done"/> accepts the probe's answer and returns that answer. A probe
    /// that throws HttpRequestException counts as "not yet". Fails with the last answer after the deadline.
    /// </summary>
    public static async Task<T> Until<T>(
        string what, TimeSpan deadline, Func<CancellationToken, Task<T>> probe, Func<T, bool> done)
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
                    var answer = await probe(timeout.Token);
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

        throw new TimeoutException($"Waited {deadline.TotalSeconds:0} s for {what}; last answer: {last}");
    }
}
