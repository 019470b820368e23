using System.Text.Json;
using System.Text.Json.Serialization;

namespace ShardedKvs.Node.Api;

/// <summary>The public API's contracts.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyCountResponse))]
[JsonSerializable(typeof(ViewChangeRequest))]
[JsonSerializable(typeof(ViewChangeResponse))]
[JsonSerializable(typeof(ViewResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ForcedExclusionResponse))]
public sealed partial class NodeJsonContext : JsonSerializerContext;

/// <summary>The JSON of the public API, source generated (no reflection). The peers' contracts
/// have their own context, Cluster/Peers/PeerJsonContext.</summary>
public static class NodeJson
{
    public static NodeJsonContext Context { get; } = NodeJsonContext.Default;

    public static JsonSerializerOptions Options => Context.Options;
}
