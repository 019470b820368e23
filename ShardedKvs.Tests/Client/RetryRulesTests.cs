using ShardedKvs.Client.Retries;

namespace ShardedKvs.Tests.Client;

/// <summary>The retry rules as a table: what each failure means for a read and for a write.</summary>
public sealed class RetryRulesTests
{
    [Theory]
    [InlineData(AttemptFailure.NotSent)]
    [InlineData(AttemptFailure.NotExecuted)]
    [InlineData(AttemptFailure.OwnerFailed)]
    [InlineData(AttemptFailure.NoAnswer)]
    public void A_read_is_retried_after_any_failure_while_attempts_remain(AttemptFailure failure)
    {
        Assert.Equal(RetryDecision.Retry, RetryRules.Decide(isWrite: false, failure, attempt: 1, maxAttempts: 3));
        Assert.Equal(RetryDecision.FailUnavailable, RetryRules.Decide(isWrite: false, failure, attempt: 3, maxAttempts: 3));
    }

    [Theory]
    [InlineData(AttemptFailure.NotSent)]
    [InlineData(AttemptFailure.NotExecuted)]
    public void A_write_that_was_not_executed_is_retried_then_reported_unavailable(AttemptFailure failure)
    {
        Assert.Equal(RetryDecision.Retry, RetryRules.Decide(isWrite: true, failure, attempt: 2, maxAttempts: 3));
        Assert.Equal(RetryDecision.FailUnavailable, RetryRules.Decide(isWrite: true, failure, attempt: 3, maxAttempts: 3));
    }

    [Theory]
    [InlineData(AttemptFailure.OwnerFailed)]
    [InlineData(AttemptFailure.NoAnswer)]
    public void A_write_that_may_have_landed_is_never_retried(AttemptFailure failure)
    {
        Assert.Equal(RetryDecision.FailOutcomeUnknown, RetryRules.Decide(isWrite: true, failure, attempt: 1, maxAttempts: 10));
    }

    [Fact]
    public void Delays_double_from_the_first_and_stop_at_the_cap()
    {
        TimeSpan first = TimeSpan.FromMilliseconds(25), cap = TimeSpan.FromMilliseconds(150);
        TimeSpan[] delays = [.. Enumerable.Range(2, 5).Select(n => RetryRules.DelayBefore(n, first, cap))];
        Assert.Equal([25, 50, 100, 150, 150], delays.Select(d => d.TotalMilliseconds));
    }
}
