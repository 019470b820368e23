using System.Text.Json.Serialization;

namespace ShardedKvs.Client.Transport;

/// <summary>A node's answer to GET /kvs/view (the fields the client routes by).</summary>
internal sealed record ViewAnswer(
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("view")] string? View,
    [property: JsonPropertyName("tokensPerNode")] int? TokensPerNode)
{
    /// <summary>Its view is the cluster's committed view: the node serves (or is changing views), not forming or idle.</summary>
    public bool IsServing => State is "serving" or "changing";
}
