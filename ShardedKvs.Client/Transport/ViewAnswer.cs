using System.Text.Json.Serialization;

namespace ShardedKvs.Client.Transport;

/// <summary>A node's answer to GET /kvs/view (the fields the client routes by). The last three are
/// present only when the cluster replicates (Kvs__ReplicationFactor of 2 or more).</summary>
internal sealed record ViewAnswer(
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("view")] string? View,
    [property: JsonPropertyName("tokensPerNode")] int? TokensPerNode)
{
    /// <summary>Copies per key (never more than the members placed).</summary>
    [JsonPropertyName("replicationFactor")]
    public int? ReplicationFactor { get; init; }

    /// <summary>Every member and its state.</summary>
    [JsonPropertyName("members")]
    public IReadOnlyList<MemberAnswer>? Members { get; init; }

    /// <summary>The members whose ring places the keys' replicas (differs from the view while a fill runs).</summary>
    [JsonPropertyName("placement")]
    public IReadOnlyList<string>? Placement { get; init; }

    /// <summary>Its view is the cluster's committed view: the node serves (or is changing views), not forming, idle, rejoining or excluded.</summary>
    public bool IsServing => State is "serving" or "changing";
}
