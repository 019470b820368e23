using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication;

namespace ShardedKvs.Tests.Cluster.Replication;

public class PeerLivenessTests
{
    [Fact]
    public void A_peer_is_suspected_only_after_a_whole_timeout_of_silence()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));

        Assert.False(liveness.IsSuspected("b:1")); // never heard: the timeout starts now
        time.Advance(TimeSpan.FromMilliseconds(900));
        liveness.Heard("b:1");
        time.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.False(liveness.IsSuspected("b:1"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(liveness.IsSuspected("b:1"));
        Assert.Equal(TimeSpan.FromMilliseconds(1001), liveness.SilentFor("b:1"));

        liveness.Heard("b:1");
        Assert.False(liveness.IsSuspected("b:1"));
    }

    /// <summary>Seen in the multi-host rolling restart: the survivors counted a rejoining process's
    /// silence from the last word of the process killed before it at the same address, suspected it
    /// ("silent for 4342 ms") 200 ms after it joined, and excluded it before its first heartbeat.</summary>
    [Fact]
    public void A_new_incarnation_at_an_address_gets_a_whole_timeout_of_its_own()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        var old = new PlacedMember("b:1", 1);
        var restarted = new PlacedMember("b:1", 2);

        Assert.False(liveness.IsSuspected(old));
        liveness.Heard("b:1");
        time.Advance(TimeSpan.FromSeconds(4)); // the old process died; it is excluded
        Assert.True(liveness.IsSuspected(old));

        Assert.False(liveness.IsSuspected(restarted)); // first asked about now: the timeout starts now
        time.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.False(liveness.IsSuspected(restarted));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(liveness.IsSuspected(restarted)); // and it is suspected when it stays silent

        liveness.Heard("b:1");
        Assert.False(liveness.IsSuspected(restarted));
    }
}
