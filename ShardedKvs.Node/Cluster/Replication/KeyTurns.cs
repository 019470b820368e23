using System.Collections.Concurrent;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// One write per key in flight on a primary: a write takes the key's turn before it is given a
/// version and gives it back when every replica holds it, so a key's writes reach its replicas in
/// version order. A write that finds the turn taken waits for it. Keys without a write in flight
/// have no entry: the map stays as small as the writes in flight.
/// </summary>
public sealed class KeyTurns
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _taken = new(StringComparer.Ordinal);

    /// <summary>Takes the key's turn, waiting at most until <paramref name="deadline"/> passes on
    /// <paramref name="time"/>. False when the turn did not come in time.</summary>
    public async ValueTask<bool> TakeAsync(string key, long deadline, TimeProvider time, CancellationToken cancellationToken)
    {
        TaskCompletionSource? mine = null;
        while (true)
        {
            mine ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            TaskCompletionSource holder = _taken.GetOrAdd(key, mine);
            if (ReferenceEquals(holder, mine))
            {
                return true;
            }

            if (!await Deadlines.WaitAsync(holder.Task, deadline, time, cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>Gives the key's turn back; the next waiting write takes it.</summary>
    public void Release(string key)
    {
        if (_taken.TryRemove(key, out TaskCompletionSource? turn))
        {
            turn.TrySetResult();
        }
    }

    /// <summary>Keys with a write in flight now.</summary>
    public int Count => _taken.Count;
}
