using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Storage;
using ShardedKvs.Ring;
using static ShardedKvs.Tests.Cluster.Configuration.ConfigTransitionsTests;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>The replica's side without a network: which writes it applies, which it refuses, and to
/// whom it grants read leases.</summary>
public sealed class ReplicaReceiverTests
{
    private const int Tokens = 16;

    private readonly FakeTimeProvider _time = new();
    private readonly KeyValueStore _store = new();
    private readonly UncertainWrites _uncertain = new();
    private readonly LeaseBook _leases;
    private readonly ClusterState _state;
    private readonly ReplicaReceiver _receiver;
    private readonly CatchUpCountingLog _log = new();
    private readonly FillTombstones _tombstones = new();
    private readonly KeysInFlight _inFlight = new();

    public ReplicaReceiverTests()
    {
        _leases = new LeaseBook(_time, new LeaseTerms(TimeSpan.FromSeconds(2)));
        _state = new ClusterState(Member(1).Address, [.. Enumerable.Range(0, 4).Select(i => Member(i).Address)], Tokens);
        _receiver = new ReplicaReceiver(_state, _store, _inFlight, _uncertain, _leases, new PeerLiveness(_time, TimeSpan.FromSeconds(1)), _tombstones, new NewerEpochSignal(_log), NullLogger<ReplicaReceiver>.Instance);
    }

    [Fact]
    public void A_write_of_the_current_epoch_for_a_key_it_holds_is_applied_and_a_resent_one_changes_nothing()
    {
        ClusterConfig config = Adopt(Formed(4, 3));
        string key = KeyHeldBy(config, Member(1), primary: Member(0));

        ReplicaAck first = Put(Member(0), config.Epoch, version: 5, key, "v5");
        ReplicaAck again = Put(Member(0), config.Epoch, version: 5, key, "v5");

        Assert.Equal(ReplicaAckKind.Applied, first.Kind);
        Assert.Equal(ReplicaAckKind.AlreadyNewer, again.Kind);
        Assert.True(again.Holds);
        Assert.Equal("v5", Read(key));
    }

    [Fact]
    public void An_older_version_arriving_late_never_replaces_a_newer_one_and_a_late_delete_never_removes_it()
    {
        ClusterConfig config = Adopt(Formed(4, 3));
        string key = KeyHeldBy(config, Member(1), primary: Member(0));

        Put(Member(0), config.Epoch, version: 9, key, "v9");
        ReplicaAck latePut = Put(Member(0), config.Epoch, version: 7, key, "v7");
        ReplicaAck lateDelete = _receiver.Apply(Member(0).Address, config.Epoch, 8, KeyOperation.Delete, key, default, watermark: 0);

        Assert.Equal(ReplicaAckKind.AlreadyNewer, latePut.Kind);
        Assert.Equal(ReplicaAckKind.AlreadyNewer, lateDelete.Kind);
        Assert.Equal("v9", Read(key));
    }

    [Fact]
    public void A_write_from_an_older_epoch_is_refused_with_the_replicas_epoch()
    {
        ClusterConfig formed = Formed(4, 3);
        ClusterConfig next = ConfigTransitions.Apply(formed, new ConfigChange.Exclude(Member(3))).Next!;
        Adopt(formed);
        Adopt(next);
        string key = KeyHeldBy(next, Member(1), primary: Member(0));

        ReplicaAck ack = Put(Member(0), formed.Epoch, version: 1, key, "old");

        Assert.Equal(new ReplicaAck(ReplicaAckKind.StaleEpoch, next.Epoch), ack);
        Assert.Null(Read(key));
    }

    [Fact]
    public void A_write_from_a_newer_epoch_makes_the_replica_catch_up_before_it_applies_anything()
    {
        ClusterConfig config = Adopt(Formed(4, 3));
        string key = KeyHeldBy(config, Member(1), primary: Member(0));

        ReplicaAck ack = Put(Member(0), config.Epoch + 1, version: 3, key, "newer");

        Assert.Equal(new ReplicaAck(ReplicaAckKind.NotReplica, config.Epoch), ack);
        Assert.False(ack.Holds);
        Assert.Null(Read(key));
        Assert.Equal(1, _log.CatchUps);
    }

    [Fact]
    public void A_write_for_a_key_this_node_holds_no_copy_of_or_from_an_excluded_sender_is_refused()
    {
        ClusterConfig formed = Formed(6, 3);
        ClusterConfig config = Adopt(ConfigTransitions.Apply(formed, new ConfigChange.Exclude(Member(2))).Next!);
        string notHeld = Enumerable.Range(0, 10_000).Select(i => $"k{i}").First(k => !new PlacementMap(config, Tokens).HoldsCopy(Member(1), StableHash.Of(k)));
        string held = KeyHeldBy(config, Member(1), primary: null);

        Assert.Equal(ReplicaAckKind.NotReplica, Put(Member(0), config.Epoch, 1, notHeld, "x").Kind);
        Assert.Equal(ReplicaAckKind.NotReplica, Put(Member(2), config.Epoch, 1, held, "x").Kind);
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public void A_delete_applied_while_a_fill_runs_is_remembered_so_an_older_copy_cannot_bring_the_key_back()
    {
        ClusterConfig filling = Adopt(ConfigTransitions.Apply(Formed(6, 3), new ConfigChange.Exclude(Member(2))).Next!);
        Assert.True(filling.IsFilling);
        string key = KeyHeldBy(filling, Member(1), primary: null);
        PlacedMember primary = new PlacementMap(filling, Tokens).PrimaryOf(StableHash.Of(key))!.Value;

        _receiver.Apply(primary.Address, filling.Epoch, 12, KeyOperation.Delete, key, default, watermark: 0);

        Assert.True(_tombstones.Covers(key, 11));
        Assert.False(_tombstones.Covers(key, 13));
    }

    /// <summary>A write checked against one configuration but applied after a newer one was adopted
    /// could be missing from the copy a fill of the newer one makes here: that fill passes the stripes'
    /// barrier, then reads the key, before the write takes the key's stripe. So it is refused, and its
    /// sender sends it again to the new write set (learners included).</summary>
    [Fact]
    public void A_write_that_waited_for_its_key_while_a_newer_configuration_was_adopted_is_refused_not_applied()
    {
        ClusterConfig config = Adopt(Formed(4, 3));
        string key = KeyHeldBy(config, Member(1), primary: Member(0));
        ReplicaAck ack = default;
        var writer = new Thread(() => ack = Put(Member(0), config.Epoch, version: 5, key, "v5"));
        ClusterConfig newer;
        lock (_inFlight.StripeFor(StableHash.Of(key)))
        {
            writer.Start();
            // Nothing in the receiver blocks before the stripe: once the writer waits, it waits there.
            long deadline = Environment.TickCount64 + 10_000;
            while ((writer.ThreadState & ThreadState.WaitSleepJoin) == 0)
            {
                Assert.True(Environment.TickCount64 < deadline, "the write never reached the key's stripe");
                Thread.Yield();
            }

            newer = Adopt(ConfigTransitions.Apply(config, new ConfigChange.Exclude(Member(3))).Next!);
        }

        writer.Join();
        Assert.Equal(ReplicaAckKind.StaleEpoch, ack.Kind);
        Assert.Equal(newer.Epoch, ack.ReplicaEpoch);
        Assert.Null(Read(key));
    }

    [Fact]
    public void Leases_are_granted_only_to_live_members_at_the_same_epoch()
    {
        ClusterConfig formed = Formed(4, 3);
        ClusterConfig config = Adopt(ConfigTransitions.Apply(formed, new ConfigChange.Exclude(Member(2))).Next!);

        Assert.True(_receiver.OnHeartbeat(Member(0).Address, config.Epoch, 0).Granted);
        Assert.False(_receiver.OnHeartbeat(Member(3).Address, config.Epoch - 1, 0).Granted);
        Assert.False(_receiver.OnHeartbeat(Member(2).Address, config.Epoch, 0).Granted);
        Assert.Equal(config.Epoch, _receiver.OnHeartbeat(Member(3).Address, config.Epoch - 1, 0).PeerEpoch);

        // It remembers when it last granted, so that promoted over member 0 it waits that lease out.
        Assert.NotEqual(long.MinValue, _leases.GranteeStoppedBy(Member(0)));
        Assert.Equal(long.MinValue, _leases.GranteeStoppedBy(Member(2)));
    }

    [Fact]
    public void A_lease_granted_at_an_address_is_granted_to_the_process_the_configuration_names_there()
    {
        ClusterConfig formed = Formed(4, 3);
        ClusterConfig excluded = Adopt(ConfigTransitions.Apply(formed, new ConfigChange.Exclude(Member(0))).Next!);
        var rejoined = new PlacedMember(Member(0).Address, Member(0).Incarnation + 100);
        ClusterConfig config = Adopt(ConfigTransitions.Apply(excluded, new ConfigChange.Rejoin(rejoined)).Next!);

        Assert.True(_receiver.OnHeartbeat(rejoined.Address, config.Epoch, 0).Granted);

        Assert.NotEqual(long.MinValue, _leases.GranteeStoppedBy(rejoined));
        Assert.Equal(long.MinValue, _leases.GranteeStoppedBy(Member(0)));
    }

    [Fact]
    public void Writes_above_the_primarys_watermark_stay_uncertain_until_it_settles_them()
    {
        ClusterConfig config = Adopt(Formed(4, 3));
        string key = KeyHeldBy(config, Member(1), primary: Member(0));

        Put(Member(0), config.Epoch, version: 4, key, "v4", watermark: 3);
        Assert.Contains((key, 4L), _uncertain.Of(Member(0)));

        _receiver.OnHeartbeat(Member(0).Address, config.Epoch, watermark: 4);
        Assert.Empty(_uncertain.Of(Member(0)));
    }

    [Fact]
    public void An_excluded_primarys_watermark_settles_nothing_it_gave_up_stays_uncertain_for_the_next_primary()
    {
        ClusterConfig formed = Adopt(Formed(4, 3));
        string key = KeyHeldBy(formed, Member(1), primary: Member(0));
        Put(Member(0), formed.Epoch, version: 4, key, "v4", watermark: 3);
        Adopt(ConfigTransitions.Apply(formed, new ConfigChange.Exclude(Member(0))).Next!);

        // Excluded, it gave the write up, and its watermark passed it: not a sign that it settled.
        _receiver.OnHeartbeat(Member(0).Address, formed.Epoch + 1, watermark: 4);

        Assert.Contains((key, 4L), _uncertain.Of(Member(0)));
    }

    private ClusterConfig Adopt(ClusterConfig config)
    {
        _state.AdoptConfig(config, Member(1));
        return config;
    }

    private ReplicaAck Put(PlacedMember primary, long epoch, long version, string key, string value, long watermark = 0) =>
        _receiver.Apply(primary.Address, epoch, version, KeyOperation.Put, key, Encoding.UTF8.GetBytes(value), watermark);

    private string? Read(string key) => _store.TryGet(key, out ReadOnlyMemory<byte> value) ? Encoding.UTF8.GetString(value.Span) : null;

    private static string KeyHeldBy(ClusterConfig config, PlacedMember holder, PlacedMember? primary)
    {
        var map = new PlacementMap(config, Tokens);
        return Enumerable.Range(0, 10_000).Select(i => $"k{i}").First(k =>
            map.HoldsCopy(holder, StableHash.Of(k)) && (primary is null || map.PrimaryOf(StableHash.Of(k)) == primary));
    }
}
