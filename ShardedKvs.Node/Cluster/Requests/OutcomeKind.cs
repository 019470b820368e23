namespace ShardedKvs.Node.Cluster.Requests;

public enum OutcomeKind
{
    /// <summary>GET found the key, or DELETE removed it.</summary>
    Found,

    /// <summary>GET or DELETE found no such key.</summary>
    NotFound,

    /// <summary>PUT stored a new key.</summary>
    Created,

    /// <summary>PUT replaced an existing value.</summary>
    Replaced,

    /// <summary>This node does not serve keys now (forming, idle, or asked by a node with no older view).</summary>
    NotServing,

    /// <summary>The owner could not be reached or did not answer in time; the outcome of a write is unknown.</summary>
    OwnerUnreachable,

    /// <summary>The owner answered that it cannot serve the key now (or its keys are unavailable): nothing was executed.</summary>
    OwnerUnavailable,

    /// <summary>The key stayed in flight between nodes longer than a request may wait.</summary>
    KeyBusy,
}
