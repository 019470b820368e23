using System.Text.Json.Serialization;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>A node's answer to GET /kvs/view.</summary>
public sealed record NodeViewResponse(
    string? Message,
    string? Address,
    string? State,
    long Epoch,
    string? View,
    string? PendingView)
{
    /// <summary>The node states in which its view is the cluster's view (not forming, not idle).</summary>
    public bool IsServing => State is "serving" or "changing";
}

/// <summary>Body of PUT /kvs/view-change.</summary>
public sealed record ViewChangeRequest(string View);

/// <summary>
/// A node's answer to PUT /kvs/view-change, success and error alike. LostNodes lists nodes removed
/// while unreachable: their keys are gone (there is no replication).
/// </summary>
public sealed record ViewChangeResponse(
    string? Message, string? Error, IReadOnlyList<ShardKeyCount>? Shards, IReadOnlyList<string>? LostNodes);

/// <summary>One node of the new view and how many keys it holds.</summary>
public sealed record ShardKeyCount(string Address, [property: JsonPropertyName("key-count")] long KeyCount);

/// <summary>
/// A node's answer to POST /kvs/admin/force-exclusion, success and error alike: on success the
/// addresses it excluded and the epoch it decided alone; on refusal the reason in Error.
/// </summary>
public sealed record ForcedExclusionResponse(string? Message, string? Error, long Epoch, IReadOnlyList<string>? Excluded);
