using ShardedKvs.Node.Cluster.Consensus;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// A peer's frame named an epoch newer than this node's configuration: catch up with the log, once at
/// a time, without holding up the lane or request that noticed it.
/// </summary>
public sealed class NewerEpochSignal(IConfigLog configLog)
{
    private int _running;

    public void Saw(long epoch)
    {
        if (epoch > (configLog.Latest?.Epoch ?? 0))
        {
            CatchUp();
        }
    }

    /// <summary>A peer acts on a configuration this node may not know (its epoch unknown here).</summary>
    public void CatchUp()
    {
        if (Interlocked.Exchange(ref _running, 1) == 0)
        {
            _ = CatchUpAsync();
        }
    }

    private async Task CatchUpAsync()
    {
        try
        {
            await configLog.CatchUpAsync(CancellationToken.None);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
