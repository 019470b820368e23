namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>Headers of internal calls.</summary>
public static class PeerHeaders
{
    /// <summary>Base64 HMAC-SHA256 of the call under a cluster key (see <see cref="ShardedKvs.Node.Security.SignedFields"/>).</summary>
    public const string Signature = "X-Kvs-Signature";

    /// <summary>When the call was signed, in Unix milliseconds.</summary>
    public const string Timestamp = "X-Kvs-Timestamp";

    /// <summary>The calling node's address; it must be a member of a view the receiver knows.</summary>
    public const string Sender = "X-Kvs-Sender";

    /// <summary>On a lane upgrade's answer: the accepting side's fresh nonce (see <see cref="Lanes.LaneHandshake"/>).</summary>
    public const string LaneNonce = "X-Kvs-Lane-Nonce";
}
