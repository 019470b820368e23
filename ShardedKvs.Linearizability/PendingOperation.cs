namespace ShardedKvs.Linearizability;

/// <summary>
/// An operation that has been called but not yet returned; the handle a caller passes back to
/// <see cref="HistoryRecorder.Return"/> or <see cref="HistoryRecorder.ReturnUnknown"/>.
/// </summary>
public sealed class PendingOperation
{
    private int _completed;

    internal PendingOperation(long sequence, int clientId, string key, OpKind kind, string? input, long callTime)
    {
        Sequence = sequence;
        ClientId = clientId;
        Key = key;
        Kind = kind;
        Input = input;
        CallTime = callTime;
    }

    /// <summary>Call order within the recorder.</summary>
    public long Sequence { get; }

    public int ClientId { get; }

    public string Key { get; }

    public OpKind Kind { get; }

    public string? Input { get; }

    public long CallTime { get; }

    /// <summary>Marks the handle completed; false if it already was.</summary>
    internal bool TryComplete() => Interlocked.Exchange(ref _completed, 1) == 0;
}
