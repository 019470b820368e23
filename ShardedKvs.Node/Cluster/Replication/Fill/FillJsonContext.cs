using System.Text.Json.Serialization;

namespace ShardedKvs.Node.Cluster.Replication.Fill;

/// <summary>The JSON of the fill's answers, source generated (the batches themselves are binary).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FillBatchReply))]
public sealed partial class FillJsonContext : JsonSerializerContext;
