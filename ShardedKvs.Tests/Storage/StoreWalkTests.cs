using ShardedKvs.Node.Storage;

namespace ShardedKvs.Tests.Storage;

/// <summary>A walk over the store must not hold a thread-pool worker: on a node with two cores, two walks
/// held both workers and every request waited until one ended (bench/failover.sh, end of a fill). A
/// background walk must not take the cores from requests, nor leave its priority to the pool's threads.</summary>
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
        Task[] walks = [.. Enumerable.Range(0, onPool.Length).Select(i => StoreWalk.RunInBackgroundAsync(() =>
        {
            onPool[i] = Thread.CurrentThread.IsThreadPoolThread;
            started.Signal();
            allRan[i] = started.Wait(TimeSpan.FromSeconds(30)); // all of them at once: more than the pool's workers
        }))];

        await Task.WhenAll(walks);

        Assert.All(allRan, Assert.True);
        Assert.All(onPool, Assert.False);
    }

    /// <summary>A background walk runs at a lower priority, so the kernel runs request threads first
    /// when both want a core; the code that awaits it (the rest of a fill, say) runs at the normal
    /// priority again, and so does a walk a request waits for.</summary>
    [Fact]
    public async Task A_background_walk_runs_at_a_lower_priority_and_what_awaits_it_at_the_normal_one()
    {
        int niceInBackground = await StoreWalk.RunInBackgroundAsync(NiceOfCurrentThread);
        int niceAfter = NiceOfCurrentThread();
        int niceForARequest = await StoreWalk.RunAsync(NiceOfCurrentThread);

        Assert.Equal(StoreWalk.BackgroundNice, niceInBackground);
        Assert.Equal(0, niceAfter);
        Assert.Equal(0, niceForARequest);
    }

    /// <summary>Thread-pool workers created while walks end (a worker takes the nice value of the thread
    /// that created it) must serve requests at the normal priority: every thread the work after many
    /// walks runs on is at nice 0.</summary>
    [Fact]
    public async Task Work_queued_when_walks_end_never_runs_at_the_walks_priority()
    {
        var store = new KeyValueStore();
        for (int i = 0; i < 1_000; i++)
        {
            store.Put($"key{i}", "v"u8);
        }

        var nices = new System.Collections.Concurrent.ConcurrentBag<int>();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            await StoreWalk.RunInBackgroundAsync(() => store.Entries.Count());
            nices.Add(NiceOfCurrentThread());
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => nices.Add(NiceOfCurrentThread()))));
        }));

        Assert.All(nices, nice => Assert.Equal(0, nice));
    }

    [Fact]
    public async Task A_background_walk_that_throws_fails_its_task_with_that_exception()
    {
        var thrown = new InvalidOperationException("walk failed");

        InvalidOperationException caught = await Assert.ThrowsAsync<InvalidOperationException>(() => StoreWalk.RunInBackgroundAsync(new Action(() => throw thrown)));

        Assert.Same(thrown, caught);
    }

    // Field 19 of /proc/thread-self/stat (Linux keeps a nice value per thread); the command name,
    // field 2, is in parentheses and may hold spaces.
    private static int NiceOfCurrentThread()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
    }
}
