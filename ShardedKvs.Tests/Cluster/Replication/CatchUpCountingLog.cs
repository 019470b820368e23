using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Consensus;

namespace ShardedKvs.Tests.Cluster.Replication;

/// <summary>A configuration log that knows no configuration and only counts how often a node asked it
/// to catch up (what <see cref="Node.Cluster.Replication.NewerEpochSignal"/> does on a newer epoch).</summary>
public sealed class CatchUpCountingLog : IConfigLog
{
    private int _catchUps;

    public int CatchUps => Volatile.Read(ref _catchUps);

    public ClusterConfig? Latest => null;

    public bool Learn(ClusterConfig decided) => false;

    public Task<ProposeResult> ProposeAsync(ConfigChange change, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CatchUpAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _catchUps);
        return Task.CompletedTask;
    }
}
