using System.Net;

namespace ShardedKvs.Node.Cluster;

/// <summary>How one control call to one node went. <see cref="Status"/> is null when it was not reached.</summary>
public sealed record PeerCallResult(string Node, HttpStatusCode? Status, string? Error)
{
    public bool Succeeded => Status is { } s && (int)s is >= 200 and < 300;

    public bool Unreachable => Status is null;
}
