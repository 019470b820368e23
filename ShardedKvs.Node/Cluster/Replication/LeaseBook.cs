using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Both sides of read leases on one node. As a primary: until when each peer's lease to it runs
/// (<see cref="Granted"/> records a grant, <see cref="HoldsFrom"/> checks one). As a replica: when it
/// last granted each peer a lease (<see cref="Granting"/>), so that, promoted over that peer, it knows
/// when the peer can no longer serve (<see cref="GranteeStoppedBy"/>). All times are this process's
/// <see cref="TimeProvider.GetTimestamp"/> ticks. Safe for any number of threads: one slot per peer and
/// side, written with Interlocked (a later grant never shortens a lease).
/// </summary>
public sealed class LeaseBook(TimeProvider time, LeaseTerms terms)
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _leaseUntil = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _lastGrant = new(StringComparer.OrdinalIgnoreCase);
    private readonly long _durationTicks = (long)(terms.Duration.TotalSeconds * time.TimestampFrequency);
    private readonly long _granteeTicks = (long)(terms.GranteeExpiresWithin.TotalSeconds * time.TimestampFrequency);

    /// <summary>The request was sent at <paramref name="requestedAt"/> and <paramref name="peer"/> granted it.</summary>
    public void Granted(string peer, long requestedAt) => RaiseTo(Slot(_leaseUntil, peer), requestedAt + _durationTicks);

    /// <summary>Whether <paramref name="peer"/>'s lease to this node is still running.</summary>
    public bool HoldsFrom(string peer) =>
        _leaseUntil.TryGetValue(peer, out StrongBox<long>? until) && time.GetTimestamp() < Interlocked.Read(ref until.Value);

    /// <summary>This node grants <paramref name="peer"/> a lease now.</summary>
    public void Granting(string peer) => RaiseTo(Slot(_lastGrant, peer), time.GetTimestamp());

    /// <summary>When every lease this node granted <paramref name="peer"/> has run out, in this process's
    /// timestamp ticks (long.MinValue when it never granted one).</summary>
    public long GranteeStoppedBy(string peer) =>
        _lastGrant.TryGetValue(peer, out StrongBox<long>? last) ? Interlocked.Read(ref last.Value) + _granteeTicks : long.MinValue;

    private static StrongBox<long> Slot(ConcurrentDictionary<string, StrongBox<long>> slots, string peer) =>
        slots.GetOrAdd(peer, static _ => new StrongBox<long>(long.MinValue));

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
