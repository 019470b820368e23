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

    // The incarnation watched at each address (see Watch): its own lock-free map, compared and swapped.
    private readonly ConcurrentDictionary<string, long> _incarnations = new(StringComparer.OrdinalIgnoreCase);
    private readonly long _suspectAfterTicks = (long)(suspectAfter.TotalSeconds * time.TimestampFrequency);

    public void Heard(string peer) => Interlocked.Exchange(ref Slot(peer).Value, time.GetTimestamp());

    /// <summary>Whether <paramref name="peer"/> has been silent past the timeout. A peer first asked
    /// about now gets the whole timeout from now: a node that just started suspects no one.</summary>
    public bool IsSuspected(string peer) => time.GetTimestamp() - Interlocked.Read(ref Slot(peer).Value) > _suspectAfterTicks;

    /// <summary>
    /// Whether this incarnation of a member has been silent past the timeout. A member not watched
    /// yet (a restarted process rejoining, or a process a view change brings back) gets the whole
    /// timeout from when it is first asked about: the silence of the process that held the address
    /// before, or of this one while it was out of the configuration, says nothing about it, and
    /// counting it would exclude every rejoining node before its first heartbeat.
    /// </summary>
    public bool IsSuspected(Configuration.PlacedMember member)
    {
        StartWatching(member);
        return IsSuspected(member.Address);
    }

    /// <summary>
    /// Watches exactly <paramref name="voters"/> from now on (the voters of the configuration this node
    /// adopted, or none while it is no live member itself: a node out of the configuration hears from
    /// no one, so silence counts only while both are in it). A voter not watched before gets a whole
    /// timeout from now; the silence of every other address is forgotten. Seen in
    /// <c>ReplicatedViewChangeTests</c> on a loaded machine: a node removed by one view change and added
    /// back by the next was suspected "silent for 2166 ms", counted from its removal, before its first
    /// heartbeat, and excluded.
    /// </summary>
    public void Watch(IEnumerable<Configuration.PlacedMember> voters)
    {
        var watched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Configuration.PlacedMember voter in voters)
        {
            watched.Add(voter.Address);
            StartWatching(voter);
        }

        foreach (string address in _incarnations.Keys)
        {
            if (!watched.Contains(address))
            {
                _incarnations.TryRemove(address, out _);
                _lastHeard.TryRemove(address, out _);
            }
        }
    }

    private void StartWatching(Configuration.PlacedMember member)
    {
        while (true)
        {
            if (!_incarnations.TryGetValue(member.Address, out long known))
            {
                if (_incarnations.TryAdd(member.Address, member.Incarnation))
                {
                    Heard(member.Address);
                    return;
                }
            }
            else if (known == member.Incarnation)
            {
                return;
            }
            else if (_incarnations.TryUpdate(member.Address, member.Incarnation, known))
            {
                Heard(member.Address);
                return;
            }
        }
    }

    /// <summary>How long <paramref name="peer"/> has been silent.</summary>
    public TimeSpan SilentFor(string peer) => time.GetElapsedTime(Interlocked.Read(ref Slot(peer).Value));

    private StrongBox<long> Slot(string peer) => _lastHeard.GetOrAdd(peer, static (_, now) => new StrongBox<long>(now), time.GetTimestamp());
}
