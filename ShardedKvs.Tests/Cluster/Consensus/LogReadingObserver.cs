using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;

namespace ShardedKvs.Tests.Cluster.Consensus;

/// <summary>An observer that depends on the log it observes (as the node's own observers do: they
/// propose and read <see cref="IConfigLog.Latest"/>), and remembers what it read when told.</summary>
internal sealed class LogReadingObserver(IConfigLog log) : IConfigObserver
{
    private readonly Lock _gate = new();
    private readonly List<(long Told, long? Latest)> _seen = [];

    public IReadOnlyList<(long Told, long? Latest)> Seen
    {
        get
        {
            lock (_gate)
            {
                return [.. _seen];
            }
        }
    }

    public void OnDecided(ClusterConfig decided)
    {
        lock (_gate)
        {
            _seen.Add((decided.Epoch, log.Latest?.Epoch));
        }
    }
}
