using System.Text.Json;
using System.Text.Json.Serialization;
using ShardedKvs.Node.Cluster.Peers;

namespace ShardedKvs.Node.Api;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyCountResponse))]
[JsonSerializable(typeof(ViewChangeRequest))]
[JsonSerializable(typeof(ViewChangeResponse))]
[JsonSerializable(typeof(ViewResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(ViewState))]
[JsonSerializable(typeof(PrepareRequest))]
[JsonSerializable(typeof(ChangeRef))]
[JsonSerializable(typeof(KeyCount))]
[JsonSerializable(typeof(CoordinatorStatus))]
[JsonSerializable(typeof(MigrateResult))]
[JsonSerializable(typeof(MigrationBatch))]
[JsonSerializable(typeof(PeerError))]
public sealed partial class NodeJsonContext : JsonSerializerContext;

/// <summary>The one set of JSON options the node uses, source generated (no reflection).</summary>
public static class NodeJson
{
    public static NodeJsonContext Context { get; } = NodeJsonContext.Default;

    public static JsonSerializerOptions Options => Context.Options;
}
