namespace ShardedKvs.Node.Cluster;

/// <summary>Headers of internal calls.</summary>
public static class PeerHeaders
{
    /// <summary>The shared cluster secret.</summary>
    public const string ClusterKey = "X-Kvs-Cluster-Key";

    /// <summary>The calling node's address; it must be a member of a view the receiver knows.</summary>
    public const string Sender = "X-Kvs-Sender";

    /// <summary>On forwarded key requests: the epoch of the view the sender routed by.</summary>
    public const string Epoch = "X-Kvs-Epoch";

    /// <summary>On forwarded key answers: the node that finally served the key, when not the receiver.</summary>
    public const string Owner = "X-Kvs-Owner";
}
