using Microsoft.AspNetCore.Builder;
using ShardedKvs.Node.Cluster.Membership;

namespace ShardedKvs.Tests.Infrastructure;

/// <summary>
/// A cluster of real nodes in this process, each on its own loopback port. The first
/// <c>initialViewSize</c> nodes form the initial view; the rest start idle, ready to be added.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string ClusterKey = "test-cluster-key-0123456789";

    private readonly List<TestNode> _nodes;
    private readonly IDictionary<string, string?>? _settings;
    private readonly Action<int, WebApplicationBuilder>? _configure;

    private TestCluster(List<TestNode> nodes, string initialView, IDictionary<string, string?>? settings, Action<int, WebApplicationBuilder>? configure)
    {
        _nodes = nodes;
        InitialView = initialView;
        _settings = settings;
        _configure = configure;
    }

    public IReadOnlyList<TestNode> Nodes => _nodes;

    public string InitialView { get; }

    public TestNode this[int index] => Nodes[index];

    public static async Task<TestCluster> StartAsync(
        int nodes,
        int? initialViewSize = null,
        IDictionary<string, string?>? settings = null,
        Action<int, WebApplicationBuilder>? configure = null)
    {
        string[] addresses = FreePorts.Take(nodes).Select(p => $"127.0.0.1:{p}").ToArray();
        string view = string.Join(',', addresses.Take(initialViewSize ?? nodes));
        var started = addresses
            .Select((address, i) => new TestNode(address, view, ClusterKey, settings, configure is null ? null : b => configure(i, b)))
            .ToList();
        await Task.WhenAll(started.Select(n => n.StartAsync()));
        var cluster = new TestCluster(started, view, settings, configure);
        await cluster.WaitUntilServingAsync(initialViewSize ?? nodes);
        return cluster;
    }

    public Task WaitUntilServingAsync(int members) => Eventually.WaitUntilAsync(
        () => Task.FromResult(Nodes.Take(members).All(n => n.Snapshot.Status == NodeStatus.Serving)),
        TimeSpan.FromSeconds(30),
        "the initial view to form");

    /// <summary>Stops node <paramref name="index"/> and starts a fresh process-alike in its place: same
    /// address and configured VIEW, empty store.</summary>
    public async Task<TestNode> RestartAsync(int index)
    {
        TestNode old = _nodes[index];
        await old.DisposeAsync();
        var fresh = new TestNode(old.Address, InitialView, ClusterKey, _settings, _configure is null ? null : b => _configure(index, b));
        _nodes[index] = fresh;
        await fresh.StartAsync();
        return fresh;
    }

    public string ViewOf(params int[] indexes) => string.Join(',', indexes.Select(i => Nodes[i].Address));

    public async ValueTask DisposeAsync()
    {
        foreach (TestNode node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
