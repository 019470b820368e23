namespace ShardedKvs.Tests.EndToEnd;

/// <summary>
/// The Aspire end-to-end classes run one after the other, after the rest of the suite: each starts a
/// whole cluster (DCP and four node processes), and two cores do not run several of those well.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    /// <summary>The collection name the end-to-end test classes use.</summary>
    public const string Name = "EndToEnd";
}
