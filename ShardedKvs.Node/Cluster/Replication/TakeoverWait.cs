using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// The rule that ends a takeover's wait for the keys' previous primary (see <see cref="Promotions"/>),
/// pure so it is tested without a network. The new primary may serve once nothing the previous one does
/// can go unordered with what it does: the previous primary says it has drained, or it cannot write any
/// more and cannot serve any more (every lease granted to it has run out).
/// <para>
/// Leases alone do not fence writes. A view change that removes the previous primary leaves it in no
/// configuration, so the replicas stop granting it leases at once, yet they still take the writes it
/// finishes as former primary (only an excluded process is refused). If such a put, taken by one
/// replica before the switch, reached the others only after its leases ran out and the new primary had
/// served a delete of the key, it would bring the key back on those and not on the first: the replicas
/// would differ, a key on R - 1 nodes. So a previous primary that answers "not yet" is waited for even
/// past its leases, and a removed one whose check goes unanswered is asked again, until it answers, its
/// address refuses connections, or it stays silent for the patience its successor gives it.
/// </para>
/// </summary>
public static class TakeoverWait
{
    /// <summary>Whether <paramref name="previous"/> can still have writes taken by the replicas under
    /// <paramref name="latest"/>: it is a live member, or no member at all (a view change removed it),
    /// rather than excluded or replaced by a new process at its address.</summary>
    public static bool MayStillWrite(ClusterConfig latest, PlacedMember previous) =>
        latest.MemberAt(previous.Address) is not { } known || (known.Incarnation == previous.Incarnation && !known.Excluded);

    /// <summary>What follows a check whose answer was <paramref name="reply"/>, once or before every
    /// lease granted to the previous primary has run out (<paramref name="leasesRanOut"/>).</summary>
    /// <param name="removed">A view change removed the previous primary: the replicas stopped granting
    /// it leases at once but still take the writes it finishes, so its leases fence nothing, and a
    /// check that went unanswered (a lost answer, a slow machine) is asked again rather than taken for
    /// its end. The shape this left once (fresh-clone CI, ReplicatedViewChangeTests with lost control
    /// calls, on a loaded machine): a key on the change's learner alone, at a version of the epoch before
    /// the switch, its put landing there after the new primary's delete.</param>
    /// <param name="silentTooLong">The removed primary has not answered for the patience the caller
    /// gives it (its host may be gone): then its leases decide, as for a member.</param>
    public static TakeoverStep Next(DrainReply reply, bool leasesRanOut, bool removed, bool silentTooLong) => reply switch
    {
        DrainReply.Drained => TakeoverStep.Confirmed,

        // It lives and is still finishing writes the replicas take: its leases say nothing about those.
        DrainReply.NotYet => TakeoverStep.Wait,
        DrainReply.NoAnswer when removed && !silentTooLong => TakeoverStep.Wait,
        _ => leasesRanOut ? TakeoverStep.LeasesRanOut : TakeoverStep.Wait,
    };

    /// <summary>Whether <paramref name="previous"/> is a member of no configuration since
    /// <paramref name="latest"/>: a view change removed it.</summary>
    public static bool WasRemoved(ClusterConfig latest, PlacedMember previous) => latest.MemberAt(previous.Address) is null;
}
