using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Node.Cluster.Requests;

/// <summary>
/// Decides where a key request goes, from the snapshot alone. Until commit, routing follows the
/// committed view, so the old owner is the one place a moving key's requests are ordered. Forwarded
/// requests carry the sender's epoch: a request is forwarded again only to a node of a newer view,
/// so no request can circle.
/// </summary>
public static class KeyRouter
{
    /// <param name="senderEpoch">The epoch a forwarding node routed by; null for a client's request.</param>
    public static RouteDecision Route(ClusterSnapshot snapshot, ulong keyHash, long? senderEpoch)
    {
        ClusterView current = snapshot.Current;
        if (snapshot.Status != NodeStatus.Serving)
        {
            // A node that has just left the view still helps a request routed by an older one.
            return snapshot.Status == NodeStatus.Idle && snapshot.IsFormed && senderEpoch < current.Epoch
                ? new RouteDecision(RouteKind.Forward, current.Nodes[current.Ring.OwnerIndexOfHash(keyHash)], current.Epoch)
                : RouteDecision.Unavailable;
        }

        int oldOwner = current.Ring.OwnerIndexOfHash(keyHash);
        if (!current.Unavailable.IsEmpty && current.IsUnavailable(oldOwner))
        {
            return new RouteDecision(RouteKind.Unavailable, current.Nodes[oldOwner]);
        }

        if (snapshot.Pending is not { } pending)
        {
            if (oldOwner == snapshot.CurrentSelfIndex)
            {
                return RouteDecision.Local;
            }

            return senderEpoch is null || senderEpoch < current.Epoch
                ? new RouteDecision(RouteKind.Forward, current.Nodes[oldOwner], current.Epoch)
                : RouteDecision.Unavailable;
        }

        int newOwner = pending.Ring.OwnerIndexOfHash(keyHash);
        bool ownsNext = newOwner == snapshot.PendingSelfIndex;
        if (ownsNext && senderEpoch == pending.Epoch)
        {
            // The old owner has handed the key over and sends its requests here.
            return RouteDecision.Local;
        }

        if (oldOwner == snapshot.CurrentSelfIndex)
        {
            return ownsNext || !snapshot.HandingOff
                ? RouteDecision.Local
                : new RouteDecision(RouteKind.Handoff, pending.Nodes[newOwner], pending.Epoch);
        }

        return senderEpoch is null || senderEpoch < current.Epoch
            ? new RouteDecision(RouteKind.Forward, current.Nodes[oldOwner], current.Epoch)
            : RouteDecision.Unavailable;
    }
}
