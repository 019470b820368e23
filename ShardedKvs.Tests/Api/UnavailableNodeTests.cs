using System.Net;
using System.Text.Json.Nodes;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// Nodes 0-2 form the view, then node 2 is stopped for good; node 3 was never in the view. Keys
/// node 2 owns are 503 naming it (never 404: the key may well exist); the rest keeps working.
/// </summary>
public sealed class StoppedOwnerFixture : ClusterFixture
{
    protected override int Nodes => 4;

    protected override int? InitialViewSize => 3;

    protected override IDictionary<string, string?>? Settings => RoundOne.Settings();

    /// <summary>Stored before node 2 stopped, one per owner: node 0, node 1, node 2.</summary>
    public string[] KeyOwnedBy { get; } = new string[3];

    protected override async Task OnStartedAsync(TestCluster cluster)
    {
        await Eventually.WaitUntilAsync(() => Task.FromResult(cluster[3].Snapshot.IsFormed), TimeSpan.FromSeconds(10), "the idle node to learn the view");

        // Found the way a client would: write through node 0 and read the owner from "address".
        while (KeyOwnedBy.Any(k => k is null))
        {
            string key = Keys.Unique("stopped");
            KvsResponse put = await cluster[0].Client.PutAsync(key, $"value of {key}");
            Assert.Equal(HttpStatusCode.Created, put.Status);
            int owner = put.Field("address") is { } address ? cluster.Nodes.ToList().FindIndex(n => n.Address == address) : 0;
            if (KeyOwnedBy[owner] is null)
            {
                KeyOwnedBy[owner] = key;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, (await cluster[0].Client.DeleteKeyAsync(key)).Status);
            }
        }

        await cluster[2].StopAsync();
    }
}

public sealed class UnavailableNodeTests(StoppedOwnerFixture fixture) : IClassFixture<StoppedOwnerFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private string StoppedKey => fixture.KeyOwnedBy[2];

    private string Stopped => Cluster[2].Address;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Get_of_a_key_on_a_stopped_owner_is_503_naming_it(int via)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[via].Client.GetKeyAsync(StoppedKey);

        ApiAssert.Is(response, HttpStatusCode.ServiceUnavailable, ApiAssert.Error($"Owner {Stopped} is unreachable", "Error in GET", address: Stopped, notExecuted: true));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Put_of_a_key_on_a_stopped_owner_is_503_naming_it_and_stores_nothing_elsewhere(int via)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);
        string fresh = FreshKeyOwnedByStopped();

        foreach (string key in new[] { StoppedKey, fresh })
        {
            KvsResponse response = await Cluster[via].Client.PutAsync(key, "new value");
            ApiAssert.Is(response, HttpStatusCode.ServiceUnavailable, ApiAssert.Error($"Owner {Stopped} is unreachable", "Error in PUT", address: Stopped, notExecuted: true));
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Delete_of_a_key_on_a_stopped_owner_is_503_naming_it(int via)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[via].Client.DeleteKeyAsync(StoppedKey);

        ApiAssert.Is(response, HttpStatusCode.ServiceUnavailable, ApiAssert.Error($"Owner {Stopped} is unreachable", "Error in DELETE", address: Stopped, notExecuted: true));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Missing_key_on_a_stopped_owner_is_503_not_404()
    {
        // Nobody can know that the key does not exist: 404 would be a guess.
        string key = FreshKeyOwnedByStopped();

        ApiAssert.Is(await Cluster[0].Client.GetKeyAsync(key), HttpStatusCode.ServiceUnavailable, ApiAssert.Error($"Owner {Stopped} is unreachable", "Error in GET", address: Stopped, notExecuted: true));
        ApiAssert.Is(await Cluster[1].Client.DeleteKeyAsync(key), HttpStatusCode.ServiceUnavailable, ApiAssert.Error($"Owner {Stopped} is unreachable", "Error in DELETE", address: Stopped, notExecuted: true));
    }

    [Fact]
    public async Task Keys_of_running_owners_still_work_from_every_running_member()
    {
        foreach (TestNode node in new[] { Cluster[0], Cluster[1] })
        {
            await ApiAssert.HasValueAsync(node.Client, fixture.KeyOwnedBy[0], $"value of {fixture.KeyOwnedBy[0]}");
            await ApiAssert.HasValueAsync(node.Client, fixture.KeyOwnedBy[1], $"value of {fixture.KeyOwnedBy[1]}");
        }

        string key = Keys.OwnedBy(Cluster[1], "alive-owner");
        ApiAssert.Is(await Cluster[0].Client.PutAsync(key, "v"), HttpStatusCode.Created, new JsonObject { ["message"] = "Added successfully", ["replaced"] = false, ["address"] = Cluster[1].Address });
        ApiAssert.Is(await Cluster[0].Client.DeleteKeyAsync(key), HttpStatusCode.OK, new JsonObject { ["doesExist"] = true, ["message"] = "Deleted successfully", ["address"] = Cluster[1].Address });
    }

    [Theory]
    [InlineData("GET", "Error in GET")]
    [InlineData("PUT", "Error in PUT")]
    [InlineData("DELETE", "Error in DELETE")]
    public async Task Node_outside_the_view_is_503_with_the_current_view(string method, string message)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[3].Client.SendAsync(
            new HttpMethod(method), $"/kvs/keys/{fixture.KeyOwnedBy[0]}", method == "PUT" ? new StringContent("""{"value":"v"}""") : null);

        ApiAssert.Is(response, HttpStatusCode.ServiceUnavailable, ApiAssert.Error("Node is not in the view", message, view: Cluster.InitialView, notExecuted: true));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.HasValueAsync(Cluster[1].Client, fixture.KeyOwnedBy[0], $"value of {fixture.KeyOwnedBy[0]}");
    }

    [Fact]
    public async Task Node_outside_the_view_is_not_ready_says_idle_and_is_alive()
    {
        using HttpResponseMessage health = await Cluster[3].Client.GetAsync("/health");
        using HttpResponseMessage alive = await Cluster[3].Client.GetAsync("/alive");
        KvsResponse view = await Cluster[3].Client.SendAsync(HttpMethod.Get, "/kvs/view");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("Degraded\ncluster: Degraded (idle: not in the view)\n", await health.Content.ReadAsStringAsync());
        ApiAssert.Is(view, HttpStatusCode.OK, new JsonObject
        {
            ["message"] = "View retrieved successfully",
            ["address"] = Cluster[3].Address,
            ["state"] = "idle",
            ["epoch"] = 1,
            ["view"] = Cluster.InitialView,
            ["tokensPerNode"] = 256,
        });
        Assert.Equal(0, await Cluster[3].Client.KeyCountAsync());
    }

    [Fact]
    public async Task Serving_member_is_healthy()
    {
        using HttpResponseMessage health = await Cluster[0].Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy\n", await health.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Node_whose_view_names_a_node_that_never_starts_stays_forming(bool coordinatorMissing)
    {
        int[] ports = FreePorts.Take(2);
        string self = $"127.0.0.1:{ports[0]}";
        string never = $"127.0.0.1:{ports[1]}";
        string view = coordinatorMissing ? $"{never},{self}" : $"{self},{never}";
        await using var node = new TestNode(self, view, TestCluster.ClusterKey, RoundOne.Settings(), configure: null);
        await node.StartAsync();

        foreach ((string method, string message) in new[] { ("GET", "Error in GET"), ("PUT", "Error in PUT"), ("DELETE", "Error in DELETE") })
        {
            KvsResponse response = await node.Client.SendAsync(
                new HttpMethod(method), "/kvs/keys/forming", method == "PUT" ? new StringContent("""{"value":"v"}""") : null);
            ApiAssert.Is(response, HttpStatusCode.ServiceUnavailable, ApiAssert.Error("Cluster is forming: not every node of the view has joined yet", message, notExecuted: true));
        }

        ApiAssert.Is(await node.Client.ChangeViewAsync(self), HttpStatusCode.ServiceUnavailable, ApiAssert.Error("Only a serving member of the current view can change the view", "Error in PUT"));
        using HttpResponseMessage health = await node.Client.GetAsync("/health");
        using HttpResponseMessage alive = await node.Client.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy\ncluster: Unhealthy (forming: waiting for every node of the view to join)\n", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        ApiAssert.Is(await node.Client.SendAsync(HttpMethod.Get, "/kvs/view"), HttpStatusCode.OK, new JsonObject
        {
            ["message"] = "View retrieved successfully",
            ["address"] = self,
            ["state"] = "forming",
            ["epoch"] = 0,
            ["view"] = view,
            ["tokensPerNode"] = 256,
        });
        Assert.Equal(0, await node.Client.KeyCountAsync());
        Assert.Equal(NodeStatus.Forming, node.Snapshot.Status);
    }

    private string FreshKeyOwnedByStopped()
    {
        while (true)
        {
            string key = Keys.Unique("to-stopped");
            if (Keys.OwnerOf(Cluster[0], key) == Stopped)
            {
                return key;
            }
        }
    }
}
