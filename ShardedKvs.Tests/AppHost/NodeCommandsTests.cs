using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using ShardedKvs.Aspire.Hosting;

namespace ShardedKvs.Tests.AppHost;

/// <summary>Which dashboard commands the hosting integration puts on each node, read from the app model without running it.</summary>
public sealed class NodeCommandsTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData(3, true)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public void Force_exclusion_is_on_every_node_unless_the_cluster_keeps_one_copy(int? replicationFactor, bool offered)
    {
        var builder = DistributedApplication.CreateBuilder([]);
        var adminKey = builder.AddParameter("admin-key", "test-admin-key", secret: true);
        var clusterKey = builder.AddParameter("cluster-key", "test-cluster-key", secret: true);

        builder.AddShardedKvs<NodeProject>("kvs", new ShardedKvsClusterOptions { Nodes = 3, ReplicationFactor = replicationFactor }, clusterKey, adminKey);

        var nodes = builder.Resources.OfType<ProjectResource>().ToList();
        Assert.Equal(3, nodes.Count);
        foreach (var node in nodes)
        {
            var commands = node.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).ToList();
            Assert.Contains(ViewCommands.ShowView, commands);
            Assert.Equal(offered, commands.Contains(RecoveryCommands.ForceExclusion));
        }
    }

    [Fact]
    public void Force_exclusion_asks_for_confirmation_naming_the_dead_majority_and_the_split()
    {
        var builder = DistributedApplication.CreateBuilder([]);
        builder.AddShardedKvs<NodeProject>("kvs", new ShardedKvsClusterOptions { Nodes = 1, InitialViewSize = 1 },
            builder.AddParameter("cluster-key", "c", secret: true), builder.AddParameter("admin-key", "a", secret: true));

        var command = builder.Resources.OfType<ProjectResource>().Single()
            .Annotations.OfType<ResourceCommandAnnotation>().Single(c => c.Name == RecoveryCommands.ForceExclusion);

        Assert.Equal("Force exclusion", command.DisplayName);
        Assert.Contains("majority of the nodes is dead", command.ConfirmationMessage);
        Assert.Contains("splits the cluster", command.ConfirmationMessage);
    }

    private sealed class NodeProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(AppContext.BaseDirectory, "ShardedKvs.Node.csproj");
    }
}
