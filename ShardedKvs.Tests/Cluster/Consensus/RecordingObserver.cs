using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>Remembers every decision it is told of, in order, and whether two calls ever overlapped.</summary>
internal sealed class RecordingObserver : IConfigObserver
{
    private readonly Lock _gate = new();
    private readonly List<ClusterConfig> _told = [];
    private int _inside;
    private volatile bool _overlapped;

    /// <summary>Whether it was ever called while another call to it was still running.</summary>
    public bool Overlapped => _overlapped;

    public IReadOnlyList<ClusterConfig> Told
    {
        get
        {
            lock (_gate)
            {
                return [.. _told];
            }
        }
    }

    public long LastEpoch
    {
        get
        {
            lock (_gate)
            {
                return _told.Count == 0 ? 0 : _told[^1].Epoch;
            }
        }
    }

    public void OnDecided(ClusterConfig decided)
    {
        if (Interlocked.Increment(ref _inside) > 1)
        {
            _overlapped = true;
        }

        // Widens the window in which an overlapping call, or a Learn returning before its epoch was
        // told, would be seen.
        Thread.SpinWait(2_000);
        Thread.Yield();

        lock (_gate)
        {
            _told.Add(decided);
        }

        Interlocked.Decrement(ref _inside);
    }
}
