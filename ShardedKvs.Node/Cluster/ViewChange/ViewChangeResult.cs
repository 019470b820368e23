using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Cluster.ViewChange;

/// <summary>What a view change ended with: the key count of every node of the new view, or why it
/// failed and which node it failed at (<see cref="Address"/>).</summary>
public sealed record ViewChangeResult(ViewChangeStatus Status, string? Error, IReadOnlyList<KeyCount> Shards, string? Address = null)
{
    /// <summary>Nodes that left the view while down for good: the keys they held are lost.</summary>
    public IReadOnlyList<string>? LostNodes { get; init; }

    public bool Succeeded => Status == ViewChangeStatus.Done;

    public static ViewChangeResult Success(IReadOnlyList<KeyCount> shards) => new(ViewChangeStatus.Done, null, shards);

    /// <summary>Another change is running or pending: nothing was changed by this one.</summary>
    public static ViewChangeResult Conflict(string error, string? address = null) => new(ViewChangeStatus.Conflict, error, [], address);

    /// <summary>A node could not be reached or is not serving; <paramref name="error"/> says what is left done.</summary>
    public static ViewChangeResult Unavailable(string error, string? address = null) => new(ViewChangeStatus.Unavailable, error, [], address);
}
