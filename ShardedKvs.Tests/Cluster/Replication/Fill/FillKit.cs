using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ShardedKvs.Node;
using ShardedKvs.Node.Cluster.Configuration;
using ShardedKvs.Node.Cluster.Replication.Fill;
using ShardedKvs.Node.Storage;
using ShardedKvs.Node.Telemetry;
using ShardedKvs.Tests.Cluster.Configuration;

namespace ShardedKvs.Tests.Cluster.Replication.Fill;

/// <summary>Configurations that fill, and fill sources wired to fake learners, for the fill's unit tests.</summary>
public sealed class FillKit : IDisposable
{
    public const int Tokens = 64;

    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<FillSource> _sources = [];

    public FillKit() => Telemetry = new NodeTelemetry(_metrics.GetRequiredService<IMeterFactory>());

    public NodeTelemetry Telemetry { get; }

    public static PlacedMember Member(int i) => ConfigTransitionsTests.Member(i);

    public static PlacementMap Map(ClusterConfig config) => new(config, Tokens);

    public static ClusterConfig Then(ClusterConfig config, ConfigChange change)
    {
        ConfigDecision decision = ConfigTransitions.Apply(config, change);
        Assert.True(decision.IsDecided, decision.Refusal);
        return decision.Next!;
    }

    /// <summary><paramref name="nodes"/> formed with R = <paramref name="replicationFactor"/>, then
    /// the members <paramref name="excluded"/> excluded: their keys' surviving replicas fill their successors.</summary>
    public static ClusterConfig FormedThenExcluded(int nodes, int replicationFactor, params int[] excluded)
    {
        ClusterConfig filling = ConfigTransitionsTests.Formed(nodes, replicationFactor);
        foreach (int member in excluded)
        {
            filling = Then(filling, new ConfigChange.Exclude(Member(member)));
        }

        Assert.True(filling.IsFilling);
        return filling;
    }

    /// <summary><paramref name="source"/> alone, then a view that adds <paramref name="learner"/> with
    /// R = 2: the source is every key's primary and single copy, the learner every key's learner.</summary>
    public static PlacementMap OneSourceOneLearner(PlacedMember source, PlacedMember learner)
    {
        ClusterConfig filling = Then(ConfigTransitions.Form([source], 2), new ConfigChange.ChangeView([source, learner]));
        Assert.True(filling.IsFilling);
        return Map(filling);
    }

    public FillSource Source(KeyValueStore store, IFillTransport transport, TimeProvider? time = null, Action<NodeOptions>? configure = null)
    {
        var options = new NodeOptions { FillKeysPerSecond = 0 };
        configure?.Invoke(options);
        var source = new FillSource(store, transport, Telemetry, time ?? TimeProvider.System, Options.Create(options), NullLogger<FillSource>.Instance);
        _sources.Add(source);
        return source;
    }

    public static KeyValueStore StoreWith(IEnumerable<string> keys, long version = 1)
    {
        var store = new KeyValueStore();
        foreach (string key in keys)
        {
            store.PutIfNewer(key, ValueOf(key, version), version);
        }

        return store;
    }

    public static byte[] ValueOf(string key, long version) => System.Text.Encoding.UTF8.GetBytes($"{key}@{version}");

    public void Dispose()
    {
        foreach (FillSource source in _sources)
        {
            source.Dispose();
        }

        Telemetry.Dispose();
        _metrics.Dispose();
    }
}
