namespace ShardedKvs.Client.Retries;

/// <summary>Why one attempt did not produce an answer, sorted by what it says about execution.</summary>
public enum AttemptFailure
{
    /// <summary>The connection could not be opened, so the request never left: not executed.</summary>
    NotSent,

    /// <summary>
    /// 503 with <c>"executed": false</c>, naming the current view (node forming, idle, or not owning the
    /// key in any view it knows), or without an owner (key in flight between nodes): nothing executed it.
    /// </summary>
    NotExecuted,

    /// <summary>
    /// 503 naming an owner it forwarded to and could not get an answer from. A write may have landed.
    /// </summary>
    OwnerFailed,

    /// <summary>The request left but no answer came: attempt timeout, connection lost, a 5xx, an unreadable answer.</summary>
    NoAnswer,
}
