using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.AspNetCore.Connections;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using RaftSpike.Security;

namespace RaftSpike.Node;

/// <summary>One Raft member embedded in ASP.NET Core the way the product would embed it: Raft on the
/// node's own Kestrel port, calls signed with the cluster key in both directions.</summary>
public static class SpikeNode
{
    // DotNext serves Raft on the public endpoint's path, or on this one when that path is empty.
    private const string DefaultRaftPath = "/cluster-consensus/raft";

    public static async Task<int> RunAsync(SpikeNodeOptions options)
    {
        Directory.CreateDirectory(options.DataDir);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(SpikeNodeOptions.UrlOf(options.Port, path: null));
        builder.Logging.ClearProviders().AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("DotNext", LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Diagnostics", LogLevel.Error);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        switch (options.Membership)
        {
            case MembershipStore.PersistentColdStart:
                // DotNext's own membership file. It cannot be seeded through DotNext's API: the first
                // member cold-starts and the leader adds the others.
                builder.Services.UsePersistentConfigurationStorage(Path.Combine(options.DataDir, "membership"));
                break;
            case MembershipStore.PersistentSeed:
                var seeded = await SeededMembershipStorage.OpenAsync(Path.Combine(options.DataDir, "membership"), options.Members);
                builder.Services.AddSingleton<IClusterConfigurationStorage<UriEndPoint>>(seeded);
                break;
            default:
                builder.Services.UseInMemoryConfigurationStorage(members =>
                {
                    foreach (Uri member in options.Members)
                    {
                        members.Add(new(member));
                    }
                });
                break;
        }

        builder.Services.UseStateMachine<ConfigStateMachine>(new WriteAheadLog.Options { Location = Path.Combine(options.DataDir, "wal") });

        var raftClient = builder.Services.AddHttpClient("raftClient")
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromMilliseconds(150) });
        if (options.ClusterKey is { } key)
        {
            builder.Services.AddSingleton(new RaftSignature(key));
            builder.Services.AddTransient<RaftSigningHandler>();
            raftClient.AddHttpMessageHandler<RaftSigningHandler>();
        }

        builder.JoinCluster((config, _, _) =>
        {
            config.PublicEndPoint = options.PublicEndPoint;
            config.ColdStart = options.ColdStart;
            // Defaults of the DotNext example: 150-300 ms, RPC timeout = the lower bound.
            config.LowerElectionTimeout = options.LowerElectionTimeoutMs;
            config.UpperElectionTimeout = options.LowerElectionTimeoutMs * 2;
            config.RequestTimeout = TimeSpan.FromMilliseconds(Math.Max(1000, options.LowerElectionTimeoutMs * 4));
            config.RpcTimeout = TimeSpan.FromMilliseconds(options.LowerElectionTimeoutMs);
        });

        await using WebApplication app = builder.Build();
        await app.RestoreStateAsync<ConfigStateMachine>();
        if (options.ClusterKey is not null)
        {
            string raftPath = options.Path is { Length: > 0 } path ? "/" + path : DefaultRaftPath;
            app.UseWhen(
                context => context.Request.Path.StartsWithSegments(raftPath, StringComparison.Ordinal),
                branch => branch.UseMiddleware<RaftSignatureMiddleware>());
        }

        app.UseConsensusProtocolHandler();
        app.MapSpikeApi();
        Console.WriteLine($"node {options.PublicEndPoint} incarnation {options.Incarnation} data {options.DataDir} members [{string.Join(',', options.Members)}] coldStart={options.ColdStart} membership={options.Membership} signed={options.ClusterKey is not null} election={options.LowerElectionTimeoutMs}-{options.LowerElectionTimeoutMs * 2} ms");
        await app.RunAsync();
        return 0;
    }
}
