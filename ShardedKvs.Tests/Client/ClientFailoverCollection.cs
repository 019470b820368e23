namespace ShardedKvs.Tests.Client;

/// <summary>
/// The client's failover tests run alone: their five node processes detect a death by silence (1 s),
/// and beside the rest of the suite's clusters on two shared cores a live node can fall silent that
/// long, be excluded, and turn a test of one failover into a cascade of them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClientFailoverCollection
{
    public const string Name = "ClientFailover";
}
