using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>
/// Which of the unsettled writes the members hold of one key a new primary settles on: the newest.
/// Versions are unique per write (a primary's epoch and counter), so two copies at one version are
/// the same write; a delete counts at its own version, so a put older than it is not brought back.
/// </summary>
public static class ReconcileChoice
{
    /// <summary>Keeps <paramref name="offered"/> in <paramref name="newest"/> when it is newer than what
    /// is kept for its key.</summary>
    public static void Keep(Dictionary<string, HeldWrite> newest, HeldWrite offered)
    {
        if (!newest.TryGetValue(offered.Key, out HeldWrite? kept) || offered.Version > kept.Version)
        {
            newest[offered.Key] = offered;
        }
    }
}
