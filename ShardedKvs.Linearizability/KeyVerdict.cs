namespace ShardedKvs.Linearizability;

/// <summary>The checker's conclusion for one key.</summary>
public enum KeyVerdict
{
    /// <summary>A linearization exists.</summary>
    Linearizable,

    /// <summary>No linearization exists: the store violated linearizability on this key.</summary>
    NotLinearizable,

    /// <summary>The search budget ran out before a conclusion; neither proven nor refuted.</summary>
    Timeout,
}
