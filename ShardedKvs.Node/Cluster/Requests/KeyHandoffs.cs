using System.Collections.Concurrent;

namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>
/// The keys this node is handing to their next owner right now. A request for one of them waits
/// for its batch to be acknowledged (or to fail) instead of reading or writing a value in flight.
/// Callers hold the key's stripe of <see cref="KeyLocks"/> when they begin, look up or end a hand-off.
/// </summary>
public sealed class KeyHandoffs
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _inFlight = new(StringComparer.Ordinal);

    public bool TryGetInFlight(string key, out Task handedOver)
    {
        if (_inFlight.TryGetValue(key, out TaskCompletionSource? pending))
        {
            handedOver = pending.Task;
            return true;
        }

        handedOver = Task.CompletedTask;
        return false;
    }

    public bool TryBegin(string key) =>
        _inFlight.TryAdd(key, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void End(string key)
    {
        if (_inFlight.TryRemove(key, out TaskCompletionSource? pending))
        {
            pending.TrySetResult();
        }
    }
}
