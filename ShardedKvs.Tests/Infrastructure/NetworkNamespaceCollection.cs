namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// Tests that build hosts out of network namespaces run one at a time: each adds a route for its
/// own test subnet, and their node processes would otherwise compete for the two cores. They share
/// one published node (the image's files), published once, when the first test that runs it asks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetworkNamespaceCollection : ICollectionFixture<Deployment.PublishedNodeFixture>
{
    public const string Name = "NetworkNamespaces";
}
