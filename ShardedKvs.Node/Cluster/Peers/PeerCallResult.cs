using System.Net;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>How one control call to one node went. <see cref="Status"/> is null when it was not reached.</summary>
/// <param name="Refused">The node's port refused the connection: nothing listens there (the process is gone).</param>
public sealed record PeerCallResult(string Node, HttpStatusCode? Status, string? Error, bool Refused = false)
{
    public bool Succeeded => Status is { } s && (int)s is >= 200 and < 300;
}
