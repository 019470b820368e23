using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>
/// A request waiting for an answer of type <typeparamref name="TAnswer"/> (<see cref="LaneAnswer"/>
/// for a forward, <see cref="Replication.ReplicaAck"/> for a replicate, <see cref="Replication.LeaseAnswer"/>
/// for a heartbeat): an awaitable that is pooled and reused, one pool per answer type, so a request
/// allocates no task or completion source.
/// </summary>
public sealed class PendingAnswer<TAnswer> : PendingRequest, IValueTaskSource<TAnswer>
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<PendingAnswer<TAnswer>> Pool = new();

    // Continuations run on the thread pool, not on the lane's read loop, which must go on reading.
    private ManualResetValueTaskSourceCore<TAnswer> _core = new() { RunContinuationsAsynchronously = true };

    public ValueTask<TAnswer> Answer => new(this, _core.Version);

    internal static PendingAnswer<TAnswer> Rent(long deadline, KeyOperation operation = default)
    {
        PendingAnswer<TAnswer> pending = Pool.TryDequeue(out PendingAnswer<TAnswer>? pooled) ? pooled : new PendingAnswer<TAnswer>();
        pending.Operation = operation;
        pending.Deadline = deadline;
        return pending;
    }

    public void Complete(in TAnswer answer) => _core.SetResult(answer);

    public TAnswer GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            if (Pool.Count < MaxPooled)
            {
                Pool.Enqueue(this);
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
