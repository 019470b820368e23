using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Api;

/// <summary>Error answers of the internal protocol.</summary>
public static class PeerResults
{
    public static IResult Error(int statusCode, string error) =>
        Results.Json(new PeerError(error), NodeJson.Context.PeerError, statusCode: statusCode);
}
