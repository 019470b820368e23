using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ShardedKvs.Aspire.Hosting;

// In Aspire.Hosting, like the other hosting integrations, so an AppHost finds it without a using.
namespace Aspire.Hosting;

/// <summary>Adds a local ShardedKvs cluster to an Aspire AppHost.</summary>
public static class ShardedKvsBuilderExtensions
{
    /// <summary>
    /// Adds a ShardedKvs cluster named <paramref name="name"/>: node-1 .. node-N (project
    /// <typeparamref name="TNodeProject"/>, i.e. <c>Projects.ShardedKvs_Node</c>), node-i listening on
    /// BasePort + i - 1 on an endpoint DCP does not proxy, so the address in the view is the one the
    /// node really listens on. node-1 .. node-K form the initial view; the others start idle, ready for
    /// the "Add to view" command. Every node gets the cluster secret, the admin key, a health check on
    /// its state (serving: Healthy, idle: Degraded, forming or silent: Unhealthy), the view commands and,
    /// unless <see cref="ShardedKvsClusterOptions.ReplicationFactor"/> is 1, "Force exclusion". Reference
    /// the returned resource from an app with <c>.WithReference(kvs).WaitFor(kvs)</c>; the app reads
    /// <c>ConnectionStrings:{name}</c>.
    /// </summary>
    /// <param name="builder">The AppHost builder.</param>
    /// <param name="name">Resource name, and the connection string's name in referencing apps.</param>
    /// <param name="options">Nodes, view size, ports, tokens, replication factor; the defaults when null.</param>
    /// <param name="clusterKey">Secret the nodes sign internal calls with; a generated "cluster-key" parameter when null.</param>
    /// <param name="adminKey">Bearer token for view changes; a generated "admin-key" parameter when null.</param>
    public static IResourceBuilder<ShardedKvsResource> AddShardedKvs<TNodeProject>(
        this IDistributedApplicationBuilder builder,
        string name,
        ShardedKvsClusterOptions? options = null,
        IResourceBuilder<ParameterResource>? clusterKey = null,
        IResourceBuilder<ParameterResource>? adminKey = null)
        where TNodeProject : IProjectMetadata, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new ShardedKvsClusterOptions();
        options.Validate();

        clusterKey ??= builder.AddGeneratedSecret("cluster-key",
            "Shared secret the nodes present to each other on internal calls (CLUSTER_KEY).");
        adminKey ??= builder.AddGeneratedSecret("admin-key",
            "Bearer token that PUT /kvs/view-change requires (ADMIN_KEY).");
        builder.Services.TryAddSingleton<KvsAdminClient>();

        var cluster = new ShardedKvsResource(name) { InitialViewSize = options.InitialViewSize };
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, sp => new ShardedKvsHealthCheck(cluster, sp.GetRequiredService<KvsAdminClient>()), failureStatus: null, tags: null));

        var kvs = builder.AddResource(cluster)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "ShardedKvs",
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .WithHealthCheck(healthCheckKey)
            .WithManifestPublishingCallback(context =>
            {
                // Apps deployed elsewhere get the same connection string, with the nodes' placeholders.
                context.Writer.WriteString("type", "value.v0");
                context.Writer.WriteString("connectionString", cluster.ConnectionStringExpression.ValueExpression);
            })
            .OnInitializeResource((resource, e, ct) =>
            {
                // Not awaited: the nodes start after initialization, and this waits for them.
                _ = Task.Run(() => ReportStateAsync(resource, e.Notifications, ct), CancellationToken.None);
                return Task.CompletedTask;
            });

        var nodes = Enumerable.Range(1, options.Nodes)
            .Select(i => builder.AddProject<TNodeProject>($"node-{i}", launchProfileName: null)
                .WithHttpEndpoint(port: options.PortOf(i), isProxied: false)
                .WithParentRelationship(kvs))
            .ToList();

        // Addresses are expressions over the endpoints: "localhost:13801" when running, and the
        // endpoints' host and port placeholders in a published manifest.
        var addresses = nodes
            .Select(node => ReferenceExpression.Create($"{node.GetEndpoint("http").Property(EndpointProperty.HostAndPort)}"))
            .ToList();
        var initialView = JoinView(addresses.Take(options.InitialViewSize));

        for (var i = 0; i < nodes.Count; i++)
        {
            cluster.AddNode(nodes[i].Resource.Name, addresses[i]);
            nodes[i]
                .WithEnvironment("ADDRESS", addresses[i])
                .WithEnvironment("VIEW", initialView)
                .WithEnvironment("CLUSTER_KEY", clusterKey)
                .WithEnvironment("ADMIN_KEY", adminKey)
                .WithOptionalSetting("Kvs__TokensPerNode", options.TokensPerNode)
                .WithOptionalSetting("Kvs__ReplicationFactor", options.ReplicationFactor)
                .WithNodeStateHealthCheck(addresses[i])
                .WithViewCommands(addresses[i], addresses, adminKey);

            // Unset means the node's default, which is replicated; a node that is not answers the
            // command with a 409 that says so.
            if (options.ReplicationFactor is null or >= 2)
            {
                nodes[i].WithForceExclusionCommand(addresses[i], adminKey);
            }
        }

        return kvs;
    }

    /// <summary>Starting until every node of the initial view runs, then Running (health says whether it serves).</summary>
    private static async Task ReportStateAsync(ShardedKvsResource cluster, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        await notifications.PublishUpdateAsync(cluster, s => s with { State = KnownResourceStates.Starting });
        foreach (var node in cluster.NodeNames.Take(cluster.InitialViewSize))
        {
            await notifications.WaitForResourceAsync(node, KnownResourceStates.Running, cancellationToken);
        }

        await notifications.PublishUpdateAsync(cluster, s => s with
        {
            State = KnownResourceStates.Running,
            StartTimeStamp = DateTime.UtcNow,
        });
    }

    private static IResourceBuilder<ProjectResource> WithNodeStateHealthCheck(
        this IResourceBuilder<ProjectResource> node, ReferenceExpression address)
    {
        var key = $"{node.Resource.Name}_state";
        node.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, sp => new NodeStateHealthCheck(address, sp.GetRequiredService<KvsAdminClient>()), failureStatus: null, tags: null));
        return node.WithHealthCheck(key);
    }

    private static IResourceBuilder<ProjectResource> WithOptionalSetting(
        this IResourceBuilder<ProjectResource> node, string variable, int? value) =>
        value is { } set ? node.WithEnvironment(variable, set.ToString(CultureInfo.InvariantCulture)) : node;

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
