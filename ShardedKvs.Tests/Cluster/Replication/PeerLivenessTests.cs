using System.Collections.Immutable;
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

    [Fact]
    public void A_node_hears_a_majority_while_more_than_half_the_voters_counting_itself_are_not_suspected()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        PlacedMember self = new("a:1", 1);
        ImmutableArray<PlacedMember> voters = [self, new("b:1", 1), new("c:1", 1), new("d:1", 1), new("e:1", 1)];
        liveness.Watch(voters);

        time.Advance(TimeSpan.FromSeconds(2));
        liveness.Heard("b:1");
        liveness.Heard("c:1");
        Assert.True(liveness.HearsMajorityOf(voters, self)); // itself, b and c: 3 of 5

        time.Advance(TimeSpan.FromSeconds(2));
        liveness.Heard("b:1");
        Assert.False(liveness.HearsMajorityOf(voters, self)); // itself and b: 2 of 5, cut off
        Assert.True(liveness.HearsMajorityOf([self, new("b:1", 1), new("c:1", 1)], self)); // 2 of 3
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

    /// <summary>Seen in <c>ReplicatedViewChangeTests</c> on a loaded machine: a node removed by one view
    /// change and added back, in the same process, by the next was suspected "silent for 2166 ms" (its
    /// silence counted from its removal) before it had learned it was back, and excluded.</summary>
    [Fact]
    public void A_member_back_in_the_configuration_gets_a_whole_timeout_from_its_return()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        var a = new PlacedMember("a:1", 1);
        var b = new PlacedMember("b:1", 1);
        liveness.Watch([a, b]);
        liveness.Heard("b:1");

        liveness.Watch([a]); // a view change removes b: nobody hears from it any more
        time.Advance(TimeSpan.FromSeconds(3));
        liveness.Watch([a, b]); // the next one adds it back

        Assert.False(liveness.IsSuspected(b));
        Assert.False(liveness.IsSuspected("b:1")); // what a peer's suspicion query is answered
        time.Advance(TimeSpan.FromMilliseconds(1000));
        Assert.False(liveness.IsSuspected(b));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(liveness.IsSuspected(b)); // and it is suspected when it stays silent
    }

    [Fact]
    public void Silence_counts_only_while_a_member_stays_watched()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        var a = new PlacedMember("a:1", 1);
        var b = new PlacedMember("b:1", 1);
        liveness.Watch([a, b]);

        time.Advance(TimeSpan.FromMilliseconds(600));
        liveness.Heard("a:1");
        liveness.Watch([a, b]); // a decision that changes neither of them restarts nothing
        time.Advance(TimeSpan.FromMilliseconds(600));

        Assert.False(liveness.IsSuspected(a));
        Assert.True(liveness.IsSuspected(b));

        liveness.Watch([]); // this node left the configuration: it hears from no one
        time.Advance(TimeSpan.FromSeconds(5));
        liveness.Watch([a, b]); // and is back
        Assert.False(liveness.IsSuspected(a));
        Assert.False(liveness.IsSuspected(b));
    }

    /// <summary>Seen on a starved machine (load average 45 on two cores): a node whose own timers and
    /// lane reads ran seconds late counted the answers it had not read yet as its peers' silence, and
    /// the cluster excluded live nodes.</summary>
    [Fact]
    public void Time_this_node_stood_still_is_no_peers_silence()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        TimeSpan interval = TimeSpan.FromMilliseconds(100);
        liveness.Tick(interval); // the failure detector's first run
        liveness.Heard("b:1");

        time.Advance(TimeSpan.FromMilliseconds(150)); // a little late: that is scheduling, not a stall
        Assert.Equal(TimeSpan.Zero, liveness.Tick(interval));
        time.Advance(TimeSpan.FromMilliseconds(3000)); // the node stood still for three seconds
        Assert.True(liveness.IsSuspected("b:1")); // what it would conclude before accounting for it

        Assert.Equal(TimeSpan.FromMilliseconds(2800), liveness.Tick(interval)); // all beyond twice the interval
        Assert.False(liveness.IsSuspected("b:1"));
        Assert.Equal(TimeSpan.FromMilliseconds(350), liveness.SilentFor("b:1"));
        Assert.Equal(TimeSpan.FromMilliseconds(2800), liveness.Stalled);
    }

    [Fact]
    public void A_peer_silent_while_this_node_runs_is_still_suspected_after_a_stall()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        TimeSpan interval = TimeSpan.FromMilliseconds(100);
        liveness.Tick(interval);
        liveness.Heard("b:1");
        time.Advance(TimeSpan.FromSeconds(5));
        liveness.Tick(interval); // a long stall: b's silence so far is 200 ms of running time

        for (int tick = 0; tick < 8; tick++)
        {
            time.Advance(interval);
            liveness.Tick(interval);
            Assert.False(liveness.IsSuspected("b:1"));
        }

        time.Advance(TimeSpan.FromMilliseconds(1));
        liveness.Tick(interval);
        Assert.True(liveness.IsSuspected("b:1")); // 200 + 800 + 1 ms: the timeout, counted while running
    }

    [Fact]
    public void Ticks_from_many_threads_count_each_stall_once()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        liveness.Tick(TimeSpan.FromMilliseconds(100));
        time.Advance(TimeSpan.FromSeconds(10));

        TimeSpan[] counted = new TimeSpan[16];
        Parallel.For(0, counted.Length, i => counted[i] = liveness.Tick(TimeSpan.FromMilliseconds(100)));

        Assert.Equal(TimeSpan.FromMilliseconds(9800), liveness.Stalled);
        Assert.Equal(TimeSpan.FromMilliseconds(9800), counted.Aggregate(TimeSpan.Zero, (a, b) => a + b));
    }

    [Fact]
    public void Starting_up_is_not_standing_still()
    {
        var time = new FakeTimeProvider();
        var liveness = new PeerLiveness(time, TimeSpan.FromSeconds(1));
        liveness.Heard("b:1");
        time.Advance(TimeSpan.FromSeconds(3)); // the node starts its services; its detector has not run yet

        Assert.Equal(TimeSpan.Zero, liveness.Tick(TimeSpan.FromMilliseconds(100)));
        Assert.True(liveness.IsSuspected("b:1"));
    }
}
