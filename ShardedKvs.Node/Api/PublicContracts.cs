using System.Text.Json.Serialization;

namespace ShardedKvs.Node.Api;

// JSON bodies of the public API that are not on the per-key hot path (those are written by
// KeyResponseWriter). Field names are the reference project's, byte for byte.

public sealed record KeyCountResponse(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("key-count")] int KeyCount)
{
    /// <summary>Replicated mode: the copies this node keeps of keys another node is primary for.</summary>
    [JsonPropertyName("replica-key-count")]
    public int? ReplicaKeyCount { get; init; }
}

public sealed record ShardInfo(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("key-count")] int KeyCount);

public sealed record ViewChangeRequest([property: JsonPropertyName("view")] string? View);

/// <summary>The answer to an operator's forced exclusion: the epoch it made and whom it excluded.</summary>
public sealed record ForcedExclusionResponse(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("excluded")] IReadOnlyList<string> Excluded);

public sealed record ViewChangeResponse(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("shards")] IReadOnlyList<ShardInfo> Shards)
{
    /// <summary>Removed nodes that were down for good: their keys are lost (there is no replication).</summary>
    [JsonPropertyName("lostNodes")]
    public IReadOnlyList<string>? LostNodes { get; init; }
}

public sealed record ViewResponse(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("epoch")] long Epoch,
    [property: JsonPropertyName("view")] string View,
    [property: JsonPropertyName("pendingEpoch")] long? PendingEpoch,
    [property: JsonPropertyName("pendingView")] string? PendingView)
{
    /// <summary>Ring tokens per node, so a client can compute the same ring and send each key to its owner.</summary>
    [JsonPropertyName("tokensPerNode")]
    public int TokensPerNode { get; init; }

    /// <summary>During a change: keys this node has handed to their new owners so far.</summary>
    [JsonPropertyName("keysMoved")]
    public long? KeysMoved { get; init; }

    /// <summary>During a change: keys this node still holds that belong to another node in the pending view.</summary>
    [JsonPropertyName("keysRemaining")]
    public long? KeysRemaining { get; init; }

    /// <summary>Members whose keys are unavailable after a change that lost them (see the README).</summary>
    [JsonPropertyName("unavailable")]
    public IReadOnlyList<string>? Unavailable { get; init; }

    /// <summary>Replicated mode: copies per key as configured (fewer when fewer nodes are placed).</summary>
    [JsonPropertyName("replicationFactor")]
    public int? ReplicationFactor { get; init; }

    /// <summary>Replicated mode: every member and its state (serving, learner, excluded, leaving).</summary>
    [JsonPropertyName("members")]
    public IReadOnlyList<MemberInfo>? Members { get; init; }

    /// <summary>Replicated mode: the members whose ring places each key's replicas. A key's primary is
    /// its first replica on this ring whose member is serving or leaving (in sync); it differs from
    /// the view while a fill runs, and keeps an excluded member until the fill switches it out.</summary>
    [JsonPropertyName("placement")]
    public IReadOnlyList<string>? Placement { get; init; }

    /// <summary>Replicated mode: the re-replication (fill) under way, if any.</summary>
    [JsonPropertyName("fill")]
    public FillInfo? Fill { get; init; }
}

public sealed record MemberInfo(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("incarnation")] string Incarnation,
    [property: JsonPropertyName("state")] string State);

public sealed record FillInfo(
    [property: JsonPropertyName("sinceEpoch")] long SinceEpoch,
    [property: JsonPropertyName("sources")] IReadOnlyList<string> Sources,
    [property: JsonPropertyName("reported")] IReadOnlyList<string> Reported)
{
    /// <summary>When this node is a source that has begun its copy: the copies it makes (keys it is
    /// primary for, once per learner; 0 while its walk still counts them).</summary>
    [JsonPropertyName("keysToCopy")]
    public long? KeysToCopy { get; init; }

    /// <summary>When this node is a source that has begun its copy: the copies its learners acknowledged.</summary>
    [JsonPropertyName("keysCopied")]
    public long? KeysCopied { get; init; }
}

/// <summary>Every error: the reference's {"error","message"} shape, plus where to go instead when known.</summary>
public sealed record ErrorResponse(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message)
{
    [JsonPropertyName("address")]
    public string? Address { get; init; }

    [JsonPropertyName("view")]
    public string? View { get; init; }
}
