using Microsoft.Extensions.Time.Testing;
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
}
