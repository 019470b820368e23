namespace ShardedKvs.Client.Retries;

/// <summary>Why one attempt did not produce an answer, sorted by what it says about execution.</summary>
public enum AttemptFailure
{
    /// <summary>The connection could not be opened, so the request never left: not executed.</summary>
    NotSent,

    /// <summary>
    /// 503 with <c>"executed": false</c> (node forming, idle, rejoining or excluded, with the view in the
    /// body; key in flight or being taken over by a new primary; too few in-sync replicas; the owner
    /// refused): nothing executed it.
    /// </summary>
    NotExecuted,

    /// <summary>
    /// Any other 503: the owner a node forwarded to did not answer, or a primary's replicas did not
    /// acknowledge a write in time. A write may have landed (and may still complete).
    /// </summary>
    OwnerFailed,

    /// <summary>The request left but no answer came: attempt timeout, connection lost, a 5xx, an unreadable answer.</summary>
    NoAnswer,
}
