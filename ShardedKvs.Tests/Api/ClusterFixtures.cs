using System.Net;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// One cluster shared by the tests of a class (they run one after another and use unique keys).
/// When the class is done, the cluster must still serve a PUT and a GET on every serving node:
/// nothing the battery sent may have broken it.
/// </summary>
public abstract class ClusterFixture : IAsyncLifetime
{
    private TestCluster? _cluster;

    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started");

    protected virtual int Nodes => 3;

    protected virtual int? InitialViewSize => null;

    protected virtual IDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(Nodes, InitialViewSize, Settings);
        await OnStartedAsync(_cluster);
    }

    protected virtual Task OnStartedAsync(TestCluster cluster) => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is null)
        {
            return;
        }

        try
        {
            await AssertStillServesAsync(_cluster);
        }
        finally
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Every running, serving node stores a key it owns and every other one reads it back.</summary>
    private static async Task AssertStillServesAsync(TestCluster cluster)
    {
        TestNode[] serving = cluster.Nodes.Where(n => n.IsRunning && n.Snapshot.Status == NodeStatus.Serving).ToArray();
        foreach (TestNode owner in serving)
        {
            string key = Keys.OwnedBy(owner, "alive");
            KvsResponse put = await owner.Client.PutAsync(key, "still-here");
            Assert.True(put.Status == HttpStatusCode.Created, $"after the battery, PUT on {owner.Address} answered {put}");
            foreach (TestNode reader in serving)
            {
                KvsResponse get = await reader.Client.GetKeyAsync(key);
                Assert.True(get.Status == HttpStatusCode.OK && get.Field("value") == "still-here", $"after the battery, GET on {reader.Address} answered {get}");
            }
        }
    }
}

public sealed class ThreeNodeFixture : ClusterFixture;

public sealed class RoundOneThreeNodeFixture : ClusterFixture
{
    protected override IDictionary<string, string?>? Settings => RoundOne.Settings();
}

public sealed class SingleNodeFixture : ClusterFixture
{
    protected override int Nodes => 1;
}

/// <summary>A 1 KB body limit, so oversized bodies are cheap to send.</summary>
public sealed class SmallBodyLimitFixture : ClusterFixture
{
    public const int Limit = 1024;

    protected override int Nodes => 2;

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Kvs:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>ADMIN_KEY set: view changes need it as a bearer token.</summary>
public sealed class AdminKeyFixture : ClusterFixture
{
    public const string AdminKey = "admin-secret-for-tests-0123";

    protected override int Nodes => 2;

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?> { ["ADMIN_KEY"] = AdminKey };
}

/// <summary>Three nodes, two of them in the view: node 2 is idle until a view change adds it.
/// A few keys are stored up front so tests can check that they all stay readable.</summary>
public sealed class TwoOfThreeFixture : ClusterFixture
{
    protected override int? InitialViewSize => 2;

    public IReadOnlyDictionary<string, string> Seeded { get; private set; } = new Dictionary<string, string>();

    protected override async Task OnStartedAsync(TestCluster cluster)
    {
        await Eventually.WaitUntilAsync(
            () => Task.FromResult(cluster[2].Snapshot.IsFormed),
            TimeSpan.FromSeconds(10),
            "the idle node to learn the view");
        var seeded = new Dictionary<string, string>();
        for (int i = 0; i < 24; i++)
        {
            string key = Keys.Unique($"seed{i}");
            string value = $"value-{i}";
            KvsResponse put = await cluster[i % 2].Client.PutAsync(key, value);
            Assert.Equal(HttpStatusCode.Created, put.Status);
            seeded[key] = value;
        }

        Seeded = seeded;
    }
}
