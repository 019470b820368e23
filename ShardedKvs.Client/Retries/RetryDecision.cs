namespace ShardedKvs.Client.Retries;

/// <summary>What to do after a failed attempt.</summary>
public enum RetryDecision
{
    /// <summary>Refresh the view, wait the retry delay and try again.</summary>
    Retry,

    /// <summary>Stop: nothing was executed (<see cref="ShardedKvsUnavailableException"/>).</summary>
    FailUnavailable,

    /// <summary>Stop: a write may have been applied (<see cref="ShardedKvsOutcomeUnknownException"/>).</summary>
    FailOutcomeUnknown,
}
