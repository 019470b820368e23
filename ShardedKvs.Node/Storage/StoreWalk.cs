using System.Runtime.ExceptionServices;

namespace ShardedKvs.Node.Storage;

/// <summary>
/// Runs a walk over the whole store on a thread of its own, off the thread pool. A walk over a few
/// hundred thousand keys takes tens to hundreds of milliseconds (mostly cache misses on the entries); on
/// a pool thread it holds a worker all that time, and a node has as many workers as cores until the pool
/// notices and adds one. On two cores, the cleanup after a fill's switch and a key count running together
/// held both, and every request to the node waited about 200 ms for them (the p99 spike at the end of
/// every fill in <c>bench/failover.sh</c>). On its own thread a walk only shares the cores.
/// </summary>
/// <remarks>
/// A walk nobody waits for (planning a fill that no key needs to be writable again, dropping copies after
/// a fill) runs in the background, at nice
/// <see cref="BackgroundNice"/>, and mostly takes what requests leave: the sources' walks that plan a fill
/// stalled a closed loop's requests for about 140 ms at the fill's start (a third of the usual requests
/// in that 200 ms), and at nice 10 no longer (bench/failover-pairs.sh). A walk a request waits for (a key
/// count, a peer's question) runs at the normal priority: at nice 10 a key count took seconds while the
/// cores were saturated. So does a fill's plan when only the fill's switch makes some keys writable
/// again: on a loaded machine the lone survivor of a forced exclusion refused writes longer otherwise.
/// </remarks>
public static class StoreWalk
{
    /// <summary>The Linux nice value of a background walk's thread (0 normal, 19 lowest): a busy request
    /// thread gets about nine times its share of a core.</summary>
    public const int BackgroundNice = 10;

    private const TaskCreationOptions OwnThread = TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach;

    /// <summary>A walk a request waits for, at the normal priority.</summary>
    public static Task<T> RunAsync<T>(Func<T> walk) =>
        Task.Factory.StartNew(walk, CancellationToken.None, OwnThread, TaskScheduler.Default);

    /// <summary>A walk nobody waits for, at a lower priority than the requests.</summary>
    public static Task<T> RunInBackgroundAsync<T>(Func<T> walk) =>
        Task.Factory.StartNew(() => RunBelowNormalPriority(walk), CancellationToken.None, OwnThread, TaskScheduler.Default);

    /// <inheritdoc cref="RunInBackgroundAsync{T}(Func{T})"/>
    public static Task RunInBackgroundAsync(Action walk) =>
        RunInBackgroundAsync(() =>
        {
            walk();
            return true;
        });

    // The walk gets a thread of its own, which only walks; this one, at the normal priority, waits for it
    // and completes the task. A thread the pool creates takes the nice value of the thread that made it,
    // and the pool creates workers on the thread that hands it work: a walk thread that completed the
    // task itself would hand the pool the awaiting code and could leave it workers that serve requests at
    // the walk's priority.
    private static T RunBelowNormalPriority<T>(Func<T> walk)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var walker = new Thread(() =>
        {
            BackgroundPriority.LowerCurrentThread(BackgroundNice);
            try
            {
                result = walk();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "Store walk",
        };
        walker.Start();
        walker.Join();
        failure?.Throw();
        return result;
    }
}
