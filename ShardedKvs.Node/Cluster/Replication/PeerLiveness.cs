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
    private readonly long _suspectAfterTicks = (long)(suspectAfter.TotalSeconds * time.TimestampFrequency);

    public void Heard(string peer) => Interlocked.Exchange(ref Slot(peer).Value, time.GetTimestamp());

    /// <summary>Whether <paramref name="peer"/> has been silent past the timeout. A peer first asked
    /// about now gets the whole timeout from now: a node that just started suspects no one.</summary>
    public bool IsSuspected(string peer) => time.GetTimestamp() - Interlocked.Read(ref Slot(peer).Value) > _suspectAfterTicks;

    /// <summary>How long <paramref name="peer"/> has been silent.</summary>
    public TimeSpan SilentFor(string peer) => time.GetElapsedTime(Interlocked.Read(ref Slot(peer).Value));

    private StrongBox<long> Slot(string peer) => _lastHeard.GetOrAdd(peer, static (_, now) => new StrongBox<long>(now), time.GetTimestamp());
}
