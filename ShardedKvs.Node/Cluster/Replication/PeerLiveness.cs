using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using ShardedKvs.Node.Cluster.Configuration;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// The failure detector: when each peer was last heard from (any frame or answer on any lane). A peer
/// silent for longer than the suspicion timeout is suspected; a suspicion becomes an exclusion only
/// when a majority of the voters suspects it too (see <see cref="Configuration.ConfigChange.Exclude"/>).
/// Times are ticks of this process's <see cref="TimeProvider.GetTimestamp"/>, never wall clocks, less
/// the time this process itself stood still (see <see cref="Tick"/>): a node that was not running
/// could not have heard anyone, so its own stall is no one's silence. Safe for any number of threads:
/// one timestamp per peer, written with Interlocked, and the stall clock an immutable snapshot.
/// </summary>
public sealed class PeerLiveness(TimeProvider time, TimeSpan suspectAfter)
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _lastHeard = new(StringComparer.OrdinalIgnoreCase);

    // Replaced whole by Tick (a few times a second); read without a lock on every Heard. Until the
    // first Tick there is nothing to measure a gap from: starting up is not standing still.
    private StallClock _stalls = new(LastTick: null, Stalled: 0);

    // The incarnation watched at each address (see Watch): its own lock-free map, compared and swapped.
    private readonly ConcurrentDictionary<string, long> _incarnations = new(StringComparer.OrdinalIgnoreCase);
    private readonly long _suspectAfterTicks = (long)(suspectAfter.TotalSeconds * time.TimestampFrequency);

    public void Heard(string peer) => Interlocked.Exchange(ref Slot(peer).Value, RunningTime());

    /// <summary>Whether <paramref name="peer"/> has been silent past the timeout. A peer first asked
    /// about now gets the whole timeout from now: a node that just started suspects no one.</summary>
    public bool IsSuspected(string peer) => RunningTime() - Interlocked.Read(ref Slot(peer).Value) > _suspectAfterTicks;

    /// <summary>
    /// Called by a loop that means to run every <paramref name="interval"/>, and so finds out how long
    /// this process stood still: the part of a gap since the last call beyond twice the interval is
    /// taken out of every peer's silence. On a starved machine (a load average of 45 on two cores in
    /// these tests) a node's own timers and lane reads ran seconds late; it then counted the answers
    /// it had not yet read as its peers' silence and excluded live ones. Failure detectors of the
    /// field do the same (Cassandra convicts no one after a local pause longer than
    /// <c>max_local_pause_in_ms</c>). A stall slows detection by as much, never stops it: while the
    /// node runs, a dead peer's silence grows. (A peer heard during the stall, before this call
    /// accounted for it, counts as heard a little longer: until the clock passes that moment again.)
    /// </summary>
    /// <returns>How long this process stood still since the last call.</returns>
    public TimeSpan Tick(TimeSpan interval)
    {
        long now = time.GetTimestamp();
        long allowance = 2 * (long)(interval.TotalSeconds * time.TimestampFrequency);
        StallClock seen = Volatile.Read(ref _stalls);
        long stalled = seen.LastTick is { } last ? Math.Max(0, now - last - allowance) : 0;
        return Interlocked.CompareExchange(ref _stalls, new StallClock(now, seen.Stalled + stalled), seen) == seen
            ? time.GetElapsedTime(0, stalled)
            : TimeSpan.Zero;
    }

    /// <summary>
    /// Whether this incarnation of a member has been silent past the timeout. A member not watched
    /// yet (a restarted process rejoining, or a process a view change brings back) gets the whole
    /// timeout from when it is first asked about: the silence of the process that held the address
    /// before, or of this one while it was out of the configuration, says nothing about it, and
    /// counting it would exclude every rejoining node before its first heartbeat.
    /// </summary>
    public bool IsSuspected(PlacedMember member)
    {
        StartWatching(member);
        return IsSuspected(member.Address);
    }

    /// <summary>
    /// Whether this node hears a majority of <paramref name="voters"/>, itself included. A node that
    /// does not is cut off from the side that decides: no newer configuration and no lease can reach
    /// it, so a request waiting for one only holds its client.
    /// </summary>
    public bool HearsMajorityOf(ImmutableArray<PlacedMember> voters, PlacedMember self)
    {
        int heard = 0;
        foreach (PlacedMember voter in voters)
        {
            // By address: the incarnation a request's snapshot names must not change whom the detector watches.
            if (voter == self || !IsSuspected(voter.Address))
            {
                heard++;
            }
        }

        return heard > voters.Length / 2;
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
    public void Watch(IEnumerable<PlacedMember> voters)
    {
        var watched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (PlacedMember voter in voters)
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

    private void StartWatching(PlacedMember member)
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

    /// <summary>How long <paramref name="peer"/> has been silent while this process ran.</summary>
    public TimeSpan SilentFor(string peer) => time.GetElapsedTime(Interlocked.Read(ref Slot(peer).Value), RunningTime());

    /// <summary>How long this process stood still, all in all, by <see cref="Tick"/>'s account.</summary>
    public TimeSpan Stalled => time.GetElapsedTime(0, Volatile.Read(ref _stalls).Stalled);

    /// <summary>Now on a clock that stops while this process stands still.</summary>
    private long RunningTime() => time.GetTimestamp() - Volatile.Read(ref _stalls).Stalled;

    private StrongBox<long> Slot(string peer) => _lastHeard.GetOrAdd(peer, static (_, now) => new StrongBox<long>(now), RunningTime());

    /// <param name="LastTick">When <see cref="Tick"/> last ran; null before its first run.</param>
    /// <param name="Stalled">How many ticks this process stood still before that.</param>
    private sealed record StallClock(long? LastTick, long Stalled);
}
