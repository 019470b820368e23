using System.Text.Json.Serialization;

namespace ShardedKvs.Client.Transport;

/// <summary>Every field a node's answer to a key request may carry, success and error alike.</summary>
internal sealed record KeyAnswer(
    [property: JsonPropertyName("doesExist")] bool? DoesExist,
    [property: JsonPropertyName("value")] string? Value,
    [property: JsonPropertyName("replaced")] bool? Replaced,
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("view")] string? View,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("executed")] bool? Executed = null);
