using System.Text.Json.Serialization;

namespace ShardedKvs.Node.Cluster.Peers;

/// <summary>The JSON of the node-to-node protocol (PeerMessages.cs, ConfigMessages.cs), source generated.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(ViewState))]
[JsonSerializable(typeof(PrepareRequest))]
[JsonSerializable(typeof(ChangeRef))]
[JsonSerializable(typeof(KeyCount))]
[JsonSerializable(typeof(HeldCopies))]
[JsonSerializable(typeof(CoordinatorStatus))]
[JsonSerializable(typeof(MigrateResult))]
[JsonSerializable(typeof(MigrationBatch))]
[JsonSerializable(typeof(PeerError))]
[JsonSerializable(typeof(SuspicionQuery))]
[JsonSerializable(typeof(SuspicionAnswer))]
[JsonSerializable(typeof(DrainQuery))]
[JsonSerializable(typeof(DrainAnswer))]
[JsonSerializable(typeof(UncertainQuery))]
[JsonSerializable(typeof(UncertainAnswer))]
[JsonSerializable(typeof(ConfigMessage))]
[JsonSerializable(typeof(ConfigPrepareMessage))]
[JsonSerializable(typeof(ConfigAcceptMessage))]
[JsonSerializable(typeof(ConfigVoteMessage))]
[JsonSerializable(typeof(ConfigLatestMessage))]
public sealed partial class PeerJsonContext : JsonSerializerContext;
