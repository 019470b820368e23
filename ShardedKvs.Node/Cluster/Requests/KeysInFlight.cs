using System.Collections.Concurrent;

namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>
/// Everything about keys in flight in one place: the striped locks that order a key's writes against
/// its hand-off, the barrier a source passes before it starts handing keys over, and the hand-offs
/// under way, which a request for such a key waits on instead of reading or writing a value in flight.
/// </summary>
/// <remarks>
/// Concurrency: a stripe is held only around in-memory work, never across I/O. Readers do not take
/// it: they validate the snapshot version instead. <see cref="TryBeginHandoff"/>,
/// <see cref="IsHandingOff"/> and <see cref="EndHandoff"/> are called with the key's stripe held, so
/// that a request sees either the value still here or the hand-off that took it, never neither.
/// </remarks>
public sealed class KeysInFlight
{
    private const int StripeCount = 1024;
    private readonly Lock[] _stripes = CreateStripes();

    // Written under the key's stripe; the concurrent map only keeps unrelated stripes from colliding.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _handoffs = new(StringComparer.Ordinal);

    /// <summary>The stripe that orders the requests and the hand-off of the key with this hash.</summary>
    public Lock StripeFor(ulong keyHash) => _stripes[(int)(keyHash & (StripeCount - 1))];

    /// <summary>Waits until every write that entered a stripe before this call has left it. After a
    /// new snapshot is published, this guarantees no write still acts on the old one.</summary>
    public void Barrier()
    {
        foreach (Lock stripe in _stripes)
        {
            stripe.Enter();
            stripe.Exit();
        }
    }

    /// <summary>Whether the key is being handed over; <paramref name="handedOver"/> completes when
    /// its batch was acknowledged or failed. Under the key's stripe.</summary>
    public bool IsHandingOff(string key, out Task handedOver)
    {
        if (_handoffs.TryGetValue(key, out TaskCompletionSource? pending))
        {
            handedOver = pending.Task;
            return true;
        }

        handedOver = Task.CompletedTask;
        return false;
    }

    /// <summary>Marks the key in flight; false when it already is. Under the key's stripe.</summary>
    public bool TryBeginHandoff(string key) =>
        _handoffs.TryAdd(key, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Ends the key's hand-off and wakes the requests waiting for it. Under the key's stripe.</summary>
    public void EndHandoff(string key)
    {
        if (_handoffs.TryRemove(key, out TaskCompletionSource? pending))
        {
            pending.TrySetResult();
        }
    }

    private static Lock[] CreateStripes()
    {
        var stripes = new Lock[StripeCount];
        for (int i = 0; i < stripes.Length; i++)
        {
            stripes[i] = new Lock();
        }

        return stripes;
    }
}
