using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Both sides of read leases on one node. As a primary: until when each peer's lease to it runs
/// (<see cref="Granted"/> records a grant, <see cref="HoldsFrom"/> checks one). As a replica: when it
/// last granted each member a lease (<see cref="Granting"/>), so that, promoted over that member, it
/// knows when the member can no longer serve (<see cref="GranteeStoppedBy"/>). Grants are recorded per
/// incarnation, not per address: a takeover from a process that was excluded or removed waits out the
/// leases of that process only, never those granted since to a new process at its address (which kept
/// renewing them, so such a takeover never ended). All times are this process's
/// <see cref="TimeProvider.GetTimestamp"/> ticks. Safe for any number of threads: one slot per peer and
/// side, written with Interlocked (a later grant never shortens a lease).
/// </summary>
public sealed class LeaseBook(TimeProvider time, LeaseTerms terms)
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _leaseUntil = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<PlacedMember, StrongBox<long>> _lastGrant = new();
    private readonly long _durationTicks = (long)(terms.Duration.TotalSeconds * time.TimestampFrequency);
    private readonly long _granteeTicks = (long)(terms.GranteeExpiresWithin.TotalSeconds * time.TimestampFrequency);

    /// <summary>The request was sent at <paramref name="requestedAt"/> and <paramref name="peer"/> granted it.</summary>
    public void Granted(string peer, long requestedAt) => RaiseTo(Slot(_leaseUntil, peer), requestedAt + _durationTicks);

    /// <summary>Whether <paramref name="peer"/>'s lease to this node is still running.</summary>
    public bool HoldsFrom(string peer) =>
        _leaseUntil.TryGetValue(peer, out StrongBox<long>? until) && time.GetTimestamp() < Interlocked.Read(ref until.Value);

    /// <summary>This node grants <paramref name="member"/> (the incarnation its configuration names at
    /// the grantee's address) a lease now.</summary>
    public void Granting(PlacedMember member) => RaiseTo(Slot(_lastGrant, member), time.GetTimestamp());

    /// <summary>When every lease this node granted <paramref name="member"/> has run out, in this process's
    /// timestamp ticks (long.MinValue when it never granted that incarnation one).</summary>
    public long GranteeStoppedBy(PlacedMember member) =>
        _lastGrant.TryGetValue(member, out StrongBox<long>? last) ? Interlocked.Read(ref last.Value) + _granteeTicks : long.MinValue;

    private static StrongBox<long> Slot<TKey>(ConcurrentDictionary<TKey, StrongBox<long>> slots, TKey peer)
        where TKey : notnull => slots.GetOrAdd(peer, static _ => new StrongBox<long>(long.MinValue));

    private static void RaiseTo(StrongBox<long> slot, long value)
    {
        long seen = Interlocked.Read(ref slot.Value);
        while (value > seen)
        {
            long found = Interlocked.CompareExchange(ref slot.Value, value, seen);
            if (found == seen)
            {
                return;
            }

            seen = found;
        }
    }
}
