namespace ShardedKvs.Node.Cluster.Replication;

/// <summary>How <see cref="PrimaryVersions.TryBegin"/> or <see cref="WriteWindow.TryBegin"/> went.</summary>
public enum WriteStart
{
    Begun,

    /// <summary>Too many writes are under way.</summary>
    WindowFull,

    /// <summary>The node adopted a newer configuration since it found itself the key's primary, or the
    /// window was retired for a newer one.</summary>
    EpochMoved,
}
