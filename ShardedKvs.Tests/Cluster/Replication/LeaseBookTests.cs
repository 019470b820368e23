using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Tests.Cluster.Replication;

public class LeaseBookTests
{
    private static readonly LeaseTerms Terms = new(TimeSpan.FromSeconds(2), ClockDrift: 0.1);

    [Fact]
    public void A_lease_runs_from_when_it_was_requested_not_from_when_the_grant_arrived()
    {
        var time = new FakeTimeProvider();
        var book = new LeaseBook(time, Terms);
        long requestedAt = time.GetTimestamp();
        time.Advance(TimeSpan.FromMilliseconds(500)); // the answer took this long
        book.Granted("b:1", requestedAt);

        Assert.True(book.HoldsFrom("b:1"));
        time.Advance(TimeSpan.FromMilliseconds(1499));
        Assert.True(book.HoldsFrom("b:1"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(book.HoldsFrom("b:1"));
        Assert.False(book.HoldsFrom("c:1"));
    }

    [Fact]
    public void A_late_answer_to_an_old_request_never_shortens_a_lease()
    {
        var time = new FakeTimeProvider();
        var book = new LeaseBook(time, Terms);
        long early = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(1));
        book.Granted("b:1", time.GetTimestamp());
        book.Granted("b:1", early);

        time.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.True(book.HoldsFrom("b:1"));
    }

    [Fact]
    public void A_promoted_replica_waits_out_its_last_grant_stretched_by_the_drift()
    {
        var time = new FakeTimeProvider();
        var book = new LeaseBook(time, Terms);
        Assert.Equal(long.MinValue, book.GranteeStoppedBy("p:1"));

        book.Granting("p:1");
        long grantedAt = time.GetTimestamp();

        Assert.Equal(grantedAt + (long)(2.2 * time.TimestampFrequency), book.GranteeStoppedBy("p:1"));
    }

    [Fact]
    public async Task Concurrent_grants_keep_the_latest()
    {
        var time = new FakeTimeProvider();
        var book = new LeaseBook(time, Terms);
        long start = time.GetTimestamp();
        long ticksPerMs = time.TimestampFrequency / 1000;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 1_000; i++)
            {
                book.Granted("b:1", start + (((i * 8) + t) * ticksPerMs));
            }
        })));

        time.Advance(TimeSpan.FromMilliseconds(7_999 + 1_999));
        Assert.True(book.HoldsFrom("b:1"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(book.HoldsFrom("b:1"));
    }
}
