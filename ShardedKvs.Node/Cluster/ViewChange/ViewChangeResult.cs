using ShardedKvs.Node.Api;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>What a view change ended with: the new shards, or an HTTP status and why.</summary>
public sealed record ViewChangeResult(int StatusCode, string? Error, IReadOnlyList<ShardInfo> Shards, string? Address = null)
{
    /// <summary>Nodes that left the view while down for good: the keys they held are lost.</summary>
    public IReadOnlyList<string>? LostNodes { get; init; }

    public static ViewChangeResult Success(IReadOnlyList<ShardInfo> shards) => new(StatusCodes.Status200OK, null, shards);

    public static ViewChangeResult Failure(int statusCode, string error, string? address = null) => new(statusCode, error, [], address);
}
