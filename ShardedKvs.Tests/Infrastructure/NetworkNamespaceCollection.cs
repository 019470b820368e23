namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Tests that build hosts out of network namespaces run one at a time: each adds a route for its
/// own test subnet, and their node processes would otherwise compete for the two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetworkNamespaceCollection
{
    public const string Name = "NetworkNamespaces";
}
