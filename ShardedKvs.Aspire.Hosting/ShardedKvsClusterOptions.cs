using Microsoft.Extensions.Configuration;

namespace ShardedKvs.Aspire.Hosting;

/// <summary>
/// Shape of the local cluster, from the "Kvs" configuration section (appsettings.json, user secrets,
/// environment <c>Kvs__Nodes=5</c>, or the command line <c>-- --Kvs:Nodes=5</c>).
/// </summary>
public sealed class ShardedKvsClusterOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Kvs";

    /// <summary>How many node processes run: node-1 .. node-N.</summary>
    public int Nodes { get; set; } = 4;

    /// <summary>How many of them (node-1 .. node-K) form the initial view; the rest start idle.</summary>
    public int InitialViewSize { get; set; } = 3;

    /// <summary>Port of node-1; node-i listens on BasePort + i - 1.</summary>
    public int BasePort { get; set; } = 13801;

    /// <summary>Ring tokens per node, passed to every node as Kvs__TokensPerNode; unset means the node's default.</summary>
    public int? TokensPerNode { get; set; }

    /// <summary>
    /// Copies of each key, passed to every node as Kvs__ReplicationFactor; unset means the node's
    /// default (3). At 1 the nodes get no "Force exclusion" command, which needs a replicated cluster.
    /// </summary>
    public int? ReplicationFactor { get; set; }

    /// <summary>The port node-<paramref name="nodeNumber"/> listens on (numbers start at 1).</summary>
    public int PortOf(int nodeNumber) => BasePort + nodeNumber - 1;

    /// <summary>Reads the section and checks that the values describe a cluster that can start.</summary>
    public static ShardedKvsClusterOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        var options = configuration.GetSection(SectionName).Get<ShardedKvsClusterOptions>() ?? new ShardedKvsClusterOptions();
        options.Validate();
        return options;
    }

    /// <summary>Checks that the values describe a cluster that can start; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (Nodes < 1)
        {
            throw new InvalidOperationException($"{SectionName}:Nodes must be at least 1 (it is {Nodes}).");
        }

        if (InitialViewSize < 1 || InitialViewSize > Nodes)
        {
            throw new InvalidOperationException(
                $"{SectionName}:InitialViewSize must be between 1 and {SectionName}:Nodes ({Nodes}); it is {InitialViewSize}.");
        }

        if (BasePort < 1024 || PortOf(Nodes) > 65535)
        {
            throw new InvalidOperationException(
                $"{SectionName}:BasePort {BasePort} with {Nodes} nodes leaves the port range 1024-65535.");
        }

        if (TokensPerNode is < 1)
        {
            throw new InvalidOperationException($"{SectionName}:TokensPerNode must be at least 1 when set (it is {TokensPerNode}).");
        }

        if (ReplicationFactor is < 1)
        {
            throw new InvalidOperationException($"{SectionName}:ReplicationFactor must be at least 1 when set (it is {ReplicationFactor}).");
        }
    }
}
