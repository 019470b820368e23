namespace ShardedKvs.Node.Storage;

/// <summary>What a versioned store write did.</summary>
public enum PutOutcome
{
    /// <summary>The key was not there; now it is.</summary>
    Created,

    /// <summary>An older value was replaced.</summary>
    Replaced,

    /// <summary>The key already holds this version or a newer one: nothing changed.</summary>
    Stale,
}
