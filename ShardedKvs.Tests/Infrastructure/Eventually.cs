namespace ShardedKvs.Tests.Infrastructure;

/// <summary>Waits for a condition with a deadline: the tests' replacement for sleeps.</summary>
public static class Eventually
{
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0}s waiting for {what}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }
}
