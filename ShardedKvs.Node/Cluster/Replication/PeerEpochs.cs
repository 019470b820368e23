using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>The newest configuration epoch each peer said it runs (in its heartbeat answers): a new
/// primary knows the old one stopped serving a key once it has adopted the epoch that moved it. One
/// slot per peer, raised with Interlocked.</summary>
public sealed class PeerEpochs
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _epochs = new(StringComparer.OrdinalIgnoreCase);

    public void Reported(string peer, long epoch)
    {
        StrongBox<long> slot = _epochs.GetOrAdd(peer, static _ => new StrongBox<long>());
        long seen = Interlocked.Read(ref slot.Value);
        while (epoch > seen)
        {
            long found = Interlocked.CompareExchange(ref slot.Value, epoch, seen);
            if (found == seen)
            {
                return;
            }

            seen = found;
        }
    }

    public long Of(string peer) => _epochs.TryGetValue(peer, out StrongBox<long>? slot) ? Interlocked.Read(ref slot.Value) : 0;
}
