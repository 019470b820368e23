using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ShardedKvs.Node.Api;
using ShardedKvs.Node.Cluster.Consensus;
using ShardedKvs.Node.Cluster.Formation;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Replication;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Cluster.ViewChange;
using ShardedKvs.Node.Cluster.ViewChange.Migration;
using ShardedKvs.Node.Security;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Ring;

namespace ShardedKvs.Node;

public static class NodeServiceCollectionExtensions
{
    /// <summary>The log category that reports each health check's result, an Unhealthy one at Error.</summary>
    private const string HealthCheckServiceCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    /// <summary>Everything a node is made of, configured from ADDRESS, VIEW, CLUSTER_KEY, ADMIN_KEY and the "Kvs" section.</summary>
    public static IHostApplicationBuilder AddShardedKvsNode(this IHostApplicationBuilder builder)
    {
        IConfiguration config = builder.Configuration;
        NodeOptions options = config.GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new NodeOptions();
        options.Address = config["ADDRESS"] ?? options.Address;
        options.View = config["VIEW"] ?? options.View;
        options.ClusterKey = config["CLUSTER_KEY"] ?? options.ClusterKey;
        options.AdminKey = config["ADMIN_KEY"] ?? options.AdminKey;
        ImmutableArray<string> initialView = Validate(options);

        IServiceCollection services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new ClusterState(options.Address, initialView, options.TokensPerNode));
        services.AddSingleton<KeyValueStore>();
        services.AddSingleton<KeysInFlight>();
        services.AddSingleton<KeyRequestHandler>();
        services.AddSingleton<TracedForwards>();
        services.AddSingleton<ForwardLanes>();
        services.AddSingleton<LaneServer>();
        services.AddSingleton<KeySource>();
        services.AddSingleton<KeyTarget>();
        services.AddSingleton<FormationRegistry>();
        services.AddSingleton<ViewChangeParticipant>();
        services.AddSingleton<ViewChangeCoordinator>();
        services.AddSingleton<NodeTelemetry>();
        services.AddSingleton<AdminKeyFilter>();
        services.AddSingleton(new ClusterKeys(options.ClusterKey));
        services.AddHostedService<FormationService>();
        services.AddSingleton<RequestSigner>();
        services.TryAddSingleton(_ => new PeerHttp(PeerHttp.CreateHandler()));
        services.AddSingleton<PeerClient>();
        services.AddSingleton<ReplicationCalls>();
        services.AddSingleton<IReplicationTransport>(sp => sp.GetRequiredService<ReplicationCalls>());
        services.AddSingleton<IBatchTransport, PeerBatchTransport>();
        AddReplication(services, options);
        services.TryAddSingleton<IFillTransport, LaneFillTransport>(); // a test may hold fills back
        services.AddSingleton<FillSource>();
        services.AddSingleton<FillTarget>();
        services.AddSingleton<FillReceiver>();
        services.AddSingleton<FillTombstones>();
        services.AddSingleton<ReplicaCleanup>();
        services.AddSingleton<StrayCopyWatch>();
        services.AddSingleton<IFillWork, FillWork>();

        // The configuration log (docs/replication.md section 2). Observers of its decisions register
        // as IConfigObserver; the log tells every one of them.
        services.AddSingleton(new NodeIdentity(options.Address));
        services.TryAddSingleton<IConfigTransport, HttpConfigTransport>();
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<ConfigLog>(provider, ObserversOf(provider)));
        services.AddSingleton<IConfigLog>(provider => provider.GetRequiredService<ConfigLog>());
        services.AddHostedService<ConfigCatchUp>();
        services.AddHealthChecks().AddCheck<NodeHealthCheck>("cluster");

        // The health check service logs every Unhealthy result at Error (event 103), and a forming
        // node is Unhealthy (not ready) by design until every member joined: a normal start would
        // show an error in the dashboard. /health itself says why a node is not ready.
        builder.Logging.AddFilter(HealthCheckServiceCategory, LogLevel.Critical);
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, NodeJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Insert(1, PeerJsonContext.Default);
        });
        return builder;
    }

    /// <summary>The registered observers of the configuration log, resolved only when it first tells
    /// them of a decision: an observer may depend on the log itself.</summary>
    private static IEnumerable<IConfigObserver> ObserversOf(IServiceProvider provider)
    {
        foreach (IConfigObserver observer in provider.GetServices<IConfigObserver>())
        {
            yield return observer;
        }
    }

    public static WebApplication MapShardedKvsNode(this WebApplication app)
    {
        NodeTelemetry telemetry = app.Services.GetRequiredService<NodeTelemetry>();
        ClusterState state = app.Services.GetRequiredService<ClusterState>();
        KeyValueStore store = app.Services.GetRequiredService<KeyValueStore>();
        telemetry.ObserveState(() => store.Count, () => state.Snapshot.Current.Epoch);
        telemetry.ObserveReplication(() => state.Snapshot.Replica is { } replica ? ReplicationHealth.Of(replica) : null);

        app.UseJsonErrors();
        app.UseWhen(context => context.Request.Path.StartsWithSegments(PeerRoutes.Prefix), internalCalls => internalCalls.UseMiddleware<ClusterAuthMiddleware>());
        app.MapKeyApi();
        app.MapViewApi();
        app.MapRecoveryApi();
        app.MapInternalApi();
        return app;
    }

    /// <summary>Replicated mode's parts (docs/replication.md). They are registered in either mode, since
    /// the internal endpoints name them, but only run when <see cref="NodeOptions.IsReplicated"/>.</summary>
    private static void AddReplication(IServiceCollection services, NodeOptions options)
    {
        services.AddSingleton(sp => new PeerLiveness(sp.GetRequiredService<TimeProvider>(), options.SuspectAfter));
        services.AddSingleton(sp => new LeaseBook(sp.GetRequiredService<TimeProvider>(), new LeaseTerms(options.LeaseDuration)));
        services.AddSingleton<UncertainWrites>();
        services.AddSingleton<PrimaryVersions>();
        services.AddSingleton<KeyTurns>();
        services.AddSingleton<NewerEpochSignal>();
        services.AddSingleton<WriteReplicator>();
        services.TryAddSingleton<IReplicaReceiver, ReplicaReceiver>(); // a test may stand in for it
        services.AddSingleton<Promotions>();
        services.AddSingleton<FillRunner>();
        services.AddSingleton<ReplicatedKeyHandler>();
        services.AddSingleton<IConfigObserver, ConfigAdoption>();
        services.AddSingleton<FailureDetector>();
        services.AddSingleton<ReplicatedViewChange>();
        if (options.IsReplicated)
        {
            services.AddHostedService(sp => sp.GetRequiredService<FailureDetector>());
            services.AddHostedService<Heartbeats>();
            services.AddHostedService<Rejoiner>();
        }
    }

    private static ImmutableArray<string> Validate(NodeOptions options)
    {
        if (!ViewParser.IsValidAddress(options.Address))
        {
            throw new InvalidOperationException($"ADDRESS must be this node's host:port as its peers reach it (got '{options.Address}').");
        }

        if (!ViewParser.TryParse(options.View, out ImmutableArray<string> view, out string? error))
        {
            throw new InvalidOperationException($"VIEW must list the initial nodes as host:port,host:port: {error}.");
        }

        return view;
    }
}
