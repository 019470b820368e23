namespace ShardedKvs.Node.Storage;

/// <summary>
/// Runs a walk over the whole store on a thread of its own, off the thread pool. A walk over a few
/// hundred thousand keys takes tens to hundreds of milliseconds (mostly cache misses on the entries);
/// on a pool thread it holds a worker all that time, and a node has as many workers as cores until the
/// pool notices and adds one. On two cores, the cleanup after a fill's switch and a key count running
/// together held both, and every request to the node waited about 200 ms for them (the p99 spike at
/// the end of every fill in <c>bench/failover.sh</c>). On its own thread a walk only shares the cores.
/// </summary>
public static class StoreWalk
{
    private const TaskCreationOptions OwnThread = TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach;

    public static Task<T> RunAsync<T>(Func<T> walk) =>
        Task.Factory.StartNew(walk, CancellationToken.None, OwnThread, TaskScheduler.Default);

    public static Task RunAsync(Action walk) =>
        Task.Factory.StartNew(walk, CancellationToken.None, OwnThread, TaskScheduler.Default);
}
