using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using ShardedKvs.Node.Cluster.Requests;

namespace ShardedKvs.Node.Cluster.Peers.Lanes;

/// <summary>What a forwarded request's caller gets back from a lane.</summary>
/// <param name="ConnectionLost">The lane closed before the answer came: the request may or may not
/// have reached the owner.</param>
public readonly record struct LaneAnswer(KeyOutcome Outcome, bool ConnectionLost = false);

/// <summary>
/// One request waiting for its answer on a lane: an awaitable that is pooled and reused, so a forward
/// allocates no task or completion source. Whoever removes it from the lane's pending table (the read
/// loop, the deadline sweep or the lane closing) completes it, exactly once.
/// </summary>
public sealed class PendingForward : IValueTaskSource<LaneAnswer>
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<PendingForward> Pool = new();

    // Continuations run on the thread pool, not on the lane's read loop, which must go on reading.
    private ManualResetValueTaskSourceCore<LaneAnswer> _core = new() { RunContinuationsAsynchronously = true };

    public KeyOperation Operation { get; private set; }

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> after which the request is answered as timed out.</summary>
    public long Deadline { get; private set; }

    public ValueTask<LaneAnswer> Answer => new(this, _core.Version);

    public static PendingForward Rent(KeyOperation operation, long deadline)
    {
        PendingForward pending = Pool.TryDequeue(out PendingForward? pooled) ? pooled : new PendingForward();
        pending.Operation = operation;
        pending.Deadline = deadline;
        return pending;
    }

    public void Complete(in LaneAnswer answer) => _core.SetResult(answer);

    public LaneAnswer GetResult(short token)
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
