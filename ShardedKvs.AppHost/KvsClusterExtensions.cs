using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ShardedKvs.AppHost;

/// <summary>Builds the local ShardedKvs cluster: N node processes, their addresses, the initial view.</summary>
public static class KvsClusterExtensions
{
    private const string HealthPath = "/health";

    /// <summary>
    /// Adds node-1 .. node-N (project ShardedKvs.Node). node-i listens on BasePort + i - 1 on an
    /// endpoint that DCP does not proxy, so the address in the view (ADDRESS, VIEW) is the one the node
    /// really listens on. node-1 .. node-K form the initial view; the others start idle, ready to be
    /// added with the "Add to view" command. Every node gets the cluster secret and the admin key,
    /// a health check on /health and the view commands.
    /// </summary>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddKvsCluster(
        this IDistributedApplicationBuilder builder,
        KvsClusterOptions options,
        IResourceBuilder<ParameterResource> clusterKey,
        IResourceBuilder<ParameterResource> adminKey)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);

        builder.Services.TryAddSingleton<KvsAdminClient>();

        var nodes = Enumerable.Range(1, options.Nodes)
            .Select(i => builder.AddProject<Projects.ShardedKvs_Node>($"node-{i}", launchProfileName: null)
                .WithHttpEndpoint(port: options.PortOf(i), isProxied: false))
            .ToList();

        // Addresses are expressions over the endpoints: "localhost:13801" when running, and the
        // endpoints' host and port placeholders in a published manifest.
        var addresses = nodes
            .Select(node => ReferenceExpression.Create($"{node.GetEndpoint("http").Property(EndpointProperty.HostAndPort)}"))
            .ToList();
        var initialView = JoinView(addresses.Take(options.InitialViewSize));

        for (var i = 0; i < nodes.Count; i++)
        {
            nodes[i]
                .WithEnvironment("ADDRESS", addresses[i])
                .WithEnvironment("VIEW", initialView)
                .WithEnvironment("CLUSTER_KEY", clusterKey)
                .WithEnvironment("ADMIN_KEY", adminKey)
                .WithTokensPerNode(options.TokensPerNode)
                .WithHttpHealthCheck(HealthPath)
                .WithViewCommands(addresses[i], addresses, adminKey);
        }

        return nodes;
    }

    private static IResourceBuilder<ProjectResource> WithTokensPerNode(
        this IResourceBuilder<ProjectResource> node, int? tokensPerNode) =>
        tokensPerNode is { } tokens
            ? node.WithEnvironment("Kvs__TokensPerNode", tokens.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : node;

    private static ReferenceExpression JoinView(IEnumerable<ReferenceExpression> addresses)
    {
        var view = new ReferenceExpressionBuilder();
        var first = true;
        foreach (var address in addresses)
        {
            if (!first)
            {
                view.AppendLiteral(",");
            }

            view.Append($"{address}");
            first = false;
        }

        return view.Build();
    }
}
