using System.Text.Json.Serialization;

namespace ShardedKvs.Client.Transport;

/// <summary>Body of PUT /kvs/keys/{key}.</summary>
internal sealed record PutBody([property: JsonPropertyName("value")] string Value);
