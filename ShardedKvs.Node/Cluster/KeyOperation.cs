namespace ShardedKvs.Node.Cluster;

public enum KeyOperation
{
    Get,
    Put,
    Delete,
}
