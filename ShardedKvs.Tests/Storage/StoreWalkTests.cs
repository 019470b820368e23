using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Storage;

/// <summary>A walk over the store must not hold a thread-pool worker: on a node with two cores, two walks
/// held both workers and every request waited until one ended (bench/failover.sh, end of a fill).</summary>
public sealed class StoreWalkTests
{
    [Fact]
    public async Task A_walk_with_a_result_runs_outside_the_thread_pool()
    {
        var store = new KeyValueStore();
        store.Put("k", "v"u8);

        (bool onPool, int keys) = await StoreWalk.RunAsync(() => (Thread.CurrentThread.IsThreadPoolThread, store.Entries.Count()));

        Assert.False(onPool);
        Assert.Equal(1, keys);
    }

    [Fact]
    public async Task Walks_started_together_each_run_outside_the_thread_pool()
    {
        ThreadPool.GetMinThreads(out int workers, out _);
        var onPool = new bool[workers + 1];
        var allRan = new bool[workers + 1];
        using var started = new CountdownEvent(onPool.Length);
        Task[] walks = [.. Enumerable.Range(0, onPool.Length).Select(i => StoreWalk.RunAsync(() =>
        {
            onPool[i] = Thread.CurrentThread.IsThreadPoolThread;
            started.Signal();
            allRan[i] = started.Wait(TimeSpan.FromSeconds(30)); // all of them at once: more than the pool's workers
        }))];

        await Task.WhenAll(walks);

        Assert.All(allRan, Assert.True);
        Assert.All(onPool, Assert.False);
    }
}
