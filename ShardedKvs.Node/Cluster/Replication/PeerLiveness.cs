using System.Runtime.CompilerServices;
using System.Collections.Concurrent;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// The failure detector: when each peer was last heard from (any frame or answer on any lane). A peer
/// silent for longer than the suspicion timeout is suspected; a suspicion becomes an exclusion only
/// when a majority of the voters suspects it too (see <see cref="Configuration.ConfigChange.Exclude"/>).
/// Times are <see cref="TimeProvider.GetTimestamp"/> ticks of this process, never wall clocks. Safe for
/// any number of threads: one timestamp per peer, written with Interlocked.
/// </summary>
public sealed class PeerLiveness(TimeProvider time, TimeSpan suspectAfter)
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _lastHeard = new(StringComparer.OrdinalIgnoreCase);

    // The incarnation last asked about at each address: its own lock-free map, compared and swapped.
    private readonly ConcurrentDictionary<string, long> _incarnations = new(StringComparer.OrdinalIgnoreCase);
    private readonly long _suspectAfterTicks = (long)(suspectAfter.TotalSeconds * time.TimestampFrequency);

    public void Heard(string peer) => Interlocked.Exchange(ref Slot(peer).Value, time.GetTimestamp());

    /// <summary>Whether <paramref name="peer"/> has been silent past the timeout. A peer first asked
    /// about now gets the whole timeout from now: a node that just started suspects no one.</summary>
    public bool IsSuspected(string peer) => time.GetTimestamp() - Interlocked.Read(ref Slot(peer).Value) > _suspectAfterTicks;

    /// <summary>
    /// Whether this incarnation of a member has been silent past the timeout. A new incarnation at an
    /// address (a restarted process rejoining) gets the whole timeout from when it is first asked
    /// about: the silence of the process that held the address before says nothing about it, and
    /// counting it would exclude every rejoining node before its first heartbeat.
    /// </summary>
    public bool IsSuspected(Configuration.PlacedMember member)
    {
        long known = _incarnations.GetOrAdd(member.Address, member.Incarnation);
        if (known != member.Incarnation && _incarnations.TryUpdate(member.Address, member.Incarnation, known))
        {
            Heard(member.Address);
        }

        return IsSuspected(member.Address);
    }

    /// <summary>How long <paramref name="peer"/> has been silent.</summary>
    public TimeSpan SilentFor(string peer) => time.GetElapsedTime(Interlocked.Read(ref Slot(peer).Value));

    private StrongBox<long> Slot(string peer) => _lastHeard.GetOrAdd(peer, static (_, now) => new StrongBox<long>(now), time.GetTimestamp());
}
