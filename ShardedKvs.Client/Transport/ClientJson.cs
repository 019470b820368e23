using System.Text.Json.Serialization;

namespace ShardedKvs.Client.Transport;

/// <summary>Source-generated JSON for the node API, so the client needs no reflection.</summary>
[JsonSerializable(typeof(KeyAnswer))]
[JsonSerializable(typeof(PutBody))]
[JsonSerializable(typeof(ViewAnswer))]
internal sealed partial class ClientJson : JsonSerializerContext;
