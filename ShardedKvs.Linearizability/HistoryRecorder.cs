using System.Collections.Concurrent;
using System.Diagnostics;

namespace ShardedKvs.Linearizability;

/// <summary>
/// Records a concurrent history. Thread-safe: any number of tasks may call <see cref="Call"/> and
/// then <see cref="Return"/> or <see cref="ReturnUnknown"/> on the handle. Take the call handle
/// immediately before sending the request and return immediately after the response, so the
/// recorded interval contains the real one.
/// </summary>
public sealed class HistoryRecorder
{
    private readonly Func<long> _clock;
    private readonly ConcurrentQueue<(long Sequence, Operation Operation)> _completed = new();
    private readonly ConcurrentDictionary<long, PendingOperation> _pending = new();
    private long _sequence;

    /// <param name="clock">Monotonic tick source; defaults to <see cref="Stopwatch.GetTimestamp"/>.</param>
    public HistoryRecorder(Func<long>? clock = null)
    {
        _clock = clock ?? Stopwatch.GetTimestamp;
    }

    /// <summary>Number of operations returned so far (ok or unknown).</summary>
    public int CompletedCount => _completed.Count;

    /// <summary>Number of operations called but not yet returned.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Records the call of an operation; <paramref name="value"/> is the put's input.</summary>
    public PendingOperation Call(int clientId, string key, OpKind kind, string? value = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (kind == OpKind.Put)
        {
            ArgumentNullException.ThrowIfNull(value);
        }

        long sequence = Interlocked.Increment(ref _sequence);
        var pending = new PendingOperation(sequence, clientId, key, kind, kind == OpKind.Put ? value : null, _clock());
        _pending[sequence] = pending;
        return pending;
    }

    /// <summary>Records an observed response.</summary>
    public Operation Return(PendingOperation pending, OpOutput output)
    {
        long returnTime = _clock();
        return Complete(pending, p => Operation.Completed(p.ClientId, p.Key, p.Kind, p.Input, output, p.CallTime, returnTime));
    }

    /// <summary>Records a timeout or connection error: the operation may or may not have taken effect.</summary>
    public Operation ReturnUnknown(PendingOperation pending) =>
        Complete(pending, p => Operation.Unknown(p.ClientId, p.Key, p.Kind, p.Input, p.CallTime));

    /// <summary>
    /// The history so far, in return order. Operations still pending are included with an unknown
    /// outcome (they may yet take effect) unless <paramref name="includePending"/> is false.
    /// </summary>
    public IReadOnlyList<Operation> GetHistory(bool includePending = true)
    {
        // Pending first, completed second: an op that completes in between shows up in both
        // snapshots and is kept only as completed; none can fall between the two.
        var pending = includePending ? _pending.Values.ToArray() : [];
        var completed = _completed.ToArray();
        var history = new List<Operation>(completed.Length + pending.Length);
        var completedSequences = new HashSet<long>(completed.Length);
        foreach (var (sequence, operation) in completed)
        {
            history.Add(operation);
            completedSequences.Add(sequence);
        }

        foreach (var p in pending.OrderBy(p => p.Sequence))
        {
            if (!completedSequences.Contains(p.Sequence))
            {
                history.Add(Operation.Unknown(p.ClientId, p.Key, p.Kind, p.Input, p.CallTime));
            }
        }

        return history;
    }

    private Operation Complete(PendingOperation pending, Func<PendingOperation, Operation> build)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (!pending.TryComplete())
        {
            throw new InvalidOperationException($"Operation {pending.Sequence} was already returned.");
        }

        // Build first: an illegal output throws and leaves the op pending (hence unknown) rather than lost.
        var operation = build(pending);
        _completed.Enqueue((pending.Sequence, operation));
        _pending.TryRemove(pending.Sequence, out _);
        return operation;
    }
}
