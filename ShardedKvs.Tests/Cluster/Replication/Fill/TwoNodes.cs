using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>Two real nodes in this process for the fill's HTTP tests: node 0 copies, node 1 learns.
/// They run with one copy per key, so the fills under test are the only ones (a replicated node runs
/// its own configuration log and fills).</summary>
public class TwoNodes : IAsyncLifetime
{
    private TestCluster? _cluster;

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started");

    /// <summary>Node 0 is every key's only in-sync copy and primary; node 1 every key's learner.</summary>
    public PlacementMap Map => FillKit.OneSourceOneLearner(SourceMember, LearnerMember);

    public PlacedMember SourceMember => new(Cluster[0].Address, 1);

    public PlacedMember LearnerMember => new(Cluster[1].Address, 1);

    protected virtual IDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync() => _cluster = await TestCluster.StartAsync(2, settings: RoundOne.Settings(Settings));

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary><see cref="TwoNodes"/> with fills unthrottled.</summary>
public sealed class TwoUnthrottledNodes : TwoNodes
{
    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        [$"Kvs:{nameof(Node.NodeOptions.FillKeysPerSecond)}"] = "0",
    };
}
