namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>Where a takeover stands after one check of its previous primary (<see cref="TakeoverWait"/>).</summary>
public enum TakeoverStep
{
    /// <summary>Check again after a pause.</summary>
    Wait,

    /// <summary>The previous primary confirmed it has drained: serve, nothing to reconcile.</summary>
    Confirmed,

    /// <summary>It did not confirm, and every lease granted to it has run out: reconcile, then serve.</summary>
    LeasesRanOut,
}
