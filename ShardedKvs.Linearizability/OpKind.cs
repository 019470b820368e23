namespace ShardedKvs.Linearizability;

/// <summary>The operations of a per-key register with delete.</summary>
public enum OpKind
{
    /// <summary>Reads the key: returns its value, or absent.</summary>
    Get,

    /// <summary>Writes a value: returns created (key was absent) or replaced (key was present).</summary>
    Put,

    /// <summary>Removes the key: returns existed or did-not-exist.</summary>
    Delete,
}
