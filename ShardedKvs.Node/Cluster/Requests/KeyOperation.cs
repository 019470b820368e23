namespace ShardedKvs.Node.Cluster.Requests;

public enum KeyOperation
{
    Get,
    Put,
    Delete,
}
