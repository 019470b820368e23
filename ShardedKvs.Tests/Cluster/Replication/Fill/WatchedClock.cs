using Microsoft.Extensions.Time.Testing;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>A fake clock that says when code starts waiting on it: each timer created releases
/// <see cref="TimersCreated"/> once, so a test can wait until the code under test is parked on the
/// clock, then advance it.</summary>
public sealed class WatchedClock : TimeProvider
{
    public FakeTimeProvider Fake { get; } = new();

    public SemaphoreSlim TimersCreated { get; } = new(0);

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = Fake.CreateTimer(callback, state, dueTime, period);
        TimersCreated.Release();
        return timer;
    }
}
