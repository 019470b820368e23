namespace ShardedKvs.Client.Retries;

/// <summary>
/// The client's retry rules, as a pure function of what the failure means:
/// <list type="bullet">
/// <item>A read is always safe to repeat: any failure is retried while attempts remain.</item>
/// <item>A write is retried only when the failure proves it was not executed (<see cref="AttemptFailure.NotSent"/>,
/// <see cref="AttemptFailure.NotExecuted"/>).</item>
/// <item>A write that may have been applied (<see cref="AttemptFailure.OwnerFailed"/>, <see cref="AttemptFailure.NoAnswer"/>)
/// is never repeated: the call fails at once with "outcome unknown".</item>
/// <item>When attempts run out, only failures that proved non-execution count: the call is "unavailable".</item>
/// </list>
/// </summary>
public static class RetryRules
{
    /// <param name="isWrite">PUT or DELETE.</param>
    /// <param name="failure">How the attempt failed.</param>
    /// <param name="attempt">The attempt that failed, starting at 1.</param>
    /// <param name="maxAttempts">Attempts allowed per call.</param>
    public static RetryDecision Decide(bool isWrite, AttemptFailure failure, int attempt, int maxAttempts)
    {
        if (isWrite && failure is AttemptFailure.OwnerFailed or AttemptFailure.NoAnswer)
        {
            return RetryDecision.FailOutcomeUnknown;
        }

        return attempt < maxAttempts ? RetryDecision.Retry : RetryDecision.FailUnavailable;
    }

    /// <summary>The wait before attempt <paramref name="nextAttempt"/> (2, 3, ...): doubling from <paramref name="first"/>, capped.</summary>
    public static TimeSpan DelayBefore(int nextAttempt, TimeSpan first, TimeSpan max)
    {
        int doublings = Math.Clamp(nextAttempt - 2, 0, 20);
        double millis = first.TotalMilliseconds * (1 << doublings);
        return TimeSpan.FromMilliseconds(Math.Min(millis, max.TotalMilliseconds));
    }
}
