using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Ring;

namespace ShardedKvs.Tests.Cluster.Requests;

/// <summary>The routing decision on its own: no HTTP, just snapshots.</summary>
public sealed class KeyRouterTests
{
    private static readonly ImmutableArray<string> Three = ["a:1", "b:1", "c:1"];
    private static readonly ImmutableArray<string> Four = ["a:1", "b:1", "c:1", "d:1"];

    [Fact]
    public void A_forming_node_routes_nothing()
    {
        var snapshot = new ClusterSnapshot("a:1", new ClusterView(0, Three, 16), null, 0);

        Assert.Equal(RouteKind.Unavailable, KeyRouter.Route(snapshot, 42, senderEpoch: null).Kind);
    }

    [Fact]
    public void Owner_serves_locally_and_others_forward_to_it_with_their_epoch()
    {
        var view = new ClusterView(3, Three, 16);
        foreach (ulong hash in Hashes())
        {
            string owner = view.Ring.OwnerOfHash(hash);
            foreach (string self in Three)
            {
                RouteDecision route = KeyRouter.Route(new ClusterSnapshot(self, view, null, 0), hash, senderEpoch: null);
                if (self == owner)
                {
                    Assert.Equal(RouteKind.Local, route.Kind);
                }
                else
                {
                    Assert.Equal(new RouteDecision(RouteKind.Forward, owner, 3), route);
                }
            }
        }
    }

    [Fact]
    public void A_forwarded_request_is_never_forwarded_again_by_a_node_with_the_same_view()
    {
        var view = new ClusterView(3, Three, 16);
        foreach (ulong hash in Hashes())
        {
            foreach (string self in Three.Where(n => n != view.Ring.OwnerOfHash(hash)))
            {
                Assert.Equal(RouteKind.Unavailable, KeyRouter.Route(new ClusterSnapshot(self, view, null, 0), hash, senderEpoch: 3).Kind);
            }
        }
    }

    [Fact]
    public void During_a_change_the_old_owner_orders_requests_and_hands_moving_keys_to_the_new_one()
    {
        var current = new ClusterView(1, Three, 16);
        var pending = new ClusterView(2, Four, 16);
        foreach (ulong hash in Hashes())
        {
            string oldOwner = current.Ring.OwnerOfHash(hash);
            string newOwner = pending.Ring.OwnerOfHash(hash);
            RouteDecision beforeMigration = KeyRouter.Route(new ClusterSnapshot(oldOwner, current, pending, 0), hash, null);
            RouteDecision atOldOwner = KeyRouter.Route(new ClusterSnapshot(oldOwner, current, pending, 0, handingOff: true), hash, null);
            RouteDecision atJoiner = KeyRouter.Route(new ClusterSnapshot("d:1", current, pending, 0, handingOff: true), hash, null);

            Assert.Equal(RouteDecision.Local, beforeMigration);
            Assert.Equal(oldOwner == newOwner ? RouteDecision.Local : new RouteDecision(RouteKind.Handoff, newOwner, 2), atOldOwner);
            Assert.Equal(new RouteDecision(RouteKind.Forward, oldOwner, 1), atJoiner);
            if (newOwner == "d:1")
            {
                // The old owner's hand-off arrives with the pending epoch and is served where it landed.
                Assert.Equal(RouteKind.Local, KeyRouter.Route(new ClusterSnapshot("d:1", current, pending, 0), hash, senderEpoch: 2).Kind);
            }
        }
    }

    [Fact]
    public void A_node_that_just_left_passes_on_requests_routed_by_the_older_view()
    {
        var before = new ClusterView(1, Four, 16);
        var after = new ClusterView(2, Three, 16);
        var departed = new ClusterSnapshot("d:1", after, null, 0, previous: before);
        ulong hash = Hashes().First();

        Assert.Equal(new RouteDecision(RouteKind.Forward, after.Ring.OwnerOfHash(hash), 2), KeyRouter.Route(departed, hash, senderEpoch: 1));
        Assert.Equal(RouteKind.Unavailable, KeyRouter.Route(departed, hash, senderEpoch: null).Kind);
    }

    private static IEnumerable<ulong> Hashes() => Enumerable.Range(0, 200).Select(i => StableHash.Of($"key-{i}"));
}
