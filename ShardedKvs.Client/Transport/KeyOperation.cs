namespace ShardedKvs.Client.Transport;

/// <summary>The three key operations of the node API.</summary>
internal enum KeyOperation
{
    Get,
    Put,
    Delete,
}
