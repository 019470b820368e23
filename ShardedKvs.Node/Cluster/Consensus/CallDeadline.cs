namespace ShardedKvs.Node.Cluster.Consensus;

/// <summary>The token of a batch of peer calls: cancelled when the caller gives up, when the
/// deadline (measured by the <see cref="TimeProvider"/>) passes, or when the batch has what it needs.</summary>
internal sealed class CallDeadline : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _calls;

    public CallDeadline(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        _deadline = new CancellationTokenSource(timeout, time);
        _calls = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _deadline.Token);
    }

    public CancellationToken Token => _calls.Token;

    public Task CancelAsync() => _calls.CancelAsync();

    public void Dispose()
    {
        _calls.Dispose();
        _deadline.Dispose();
    }
}
