using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ShardedKvs.Node.Cluster.Membership;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// Bad views are refused before anything starts; a view naming a node that cannot be reached is
/// aborted with nothing moved; and the cluster still changes views afterwards. Node 2 starts idle.
/// </summary>
public sealed class ViewChangeValidationTests(TwoOfThreeFixture fixture) : IClassFixture<TwoOfThreeFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<string, string> MalformedViews => new()
    {
        { "", "View is empty" },
        { "   ", "View is empty" },
        { ",", "Invalid address in view: '' (expected host:port)" },
        { "h", "Invalid address in view: 'h' (expected host:port)" },
        { "h:", "Invalid address in view: 'h:' (expected host:port)" },
        { ":80", "Invalid address in view: ':80' (expected host:port)" },
        { "h:0", "Invalid address in view: 'h:0' (expected host:port)" },
        { "h:70000", "Invalid address in view: 'h:70000' (expected host:port)" },
        { "h:-1", "Invalid address in view: 'h:-1' (expected host:port)" },
        { "h:8O", "Invalid address in view: 'h:8O' (expected host:port)" },
        { "http://h:80", "Invalid address in view: 'http://h:80' (expected host:port)" },
        { "h h:80", "Invalid address in view: 'h h:80' (expected host:port)" },
        { "a:1,a:1", "Duplicate address in view: 'a:1'" },
        { "a:1,A:1", "Duplicate address in view: 'A:1'" },
        { "a:1,b:2,", "Invalid address in view: '' (expected host:port)" },
        { string.Join(',', Enumerable.Range(1, 257).Select(i => $"h:{i}")), "View has more than 256 nodes" },
        { new string('h', 300) + ":1", $"Address longer than 255 characters in view: '{new string('h', 64)}...'" },
    };

    [Theory]
    [MemberData(nameof(MalformedViews))]
    public async Task Malformed_view_is_400_and_nothing_changes(string view, string error)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[0].Client.ChangeViewAsync(view);

        ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error(error, "Error in PUT"));
        await AssertNothingChangedAsync(before);
    }

    public static TheoryData<string?, string> BadBodies => new()
    {
        { "{}", "View is missing" },
        { """{"view":null}""", "View is missing" },
        { """{"View":"a:1"}""", "View is missing" },
        { "null", "View is missing" },
        { """{"view""", "Invalid JSON body" },
        { """{"view":"a:1"} x""", "Invalid JSON body" },
        { "not json", "Invalid JSON body" },
        { """{"view":5}""", "Invalid JSON body" },
        { """{"view":["a:1"]}""", "Invalid JSON body" },
        { "", "View is missing" },
        { null, "View is missing" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_body_is_400_and_nothing_changes(string? body, string error)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[1].Client.SendAsync(
            HttpMethod.Put, "/kvs/view-change", body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));

        ApiAssert.Is(response, HttpStatusCode.BadRequest, ApiAssert.Error(error, "Error in PUT"));
        await AssertNothingChangedAsync(before);
    }

    [Fact]
    public async Task Any_content_type_is_accepted_when_the_body_is_valid_json()
    {
        // As for key PUTs: the body decides, not the Content-Type header. The same view is a no-op.
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[0].Client.SendAsync(
            HttpMethod.Put, "/kvs/view-change", new StringContent($$"""{"view":"{{Cluster.InitialView}}"}""", Encoding.UTF8, "text/plain"));

        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        Assert.Equal("View change successful", response.Field("message"));
        await AssertNothingChangedAsync(before);
    }

    [Fact]
    public async Task View_of_50_MB_is_413_without_being_parsed()
    {
        // A view-change body is bounded like a PUT's (1 MB by default): a huge list of commas
        // must not be read, let alone split, by an open endpoint.
        string before = await ClusterProbe.DescribeAsync(Cluster);
        using var content = new LargeValueContent(50L * 1024 * 1024, announceLength: false, field: "view", fill: (byte)',');

        KvsResponse response = await Cluster[0].Client.SendAsync(HttpMethod.Put, "/kvs/view-change", content);

        ApiAssert.Is(response, HttpStatusCode.RequestEntityTooLarge, ApiAssert.Error("Request body is larger than 1048576 bytes", "Error in PUT"));
        await AssertNothingChangedAsync(before);
    }

    [Fact]
    public async Task Unreachable_node_aborts_the_change_with_nothing_moved_and_a_later_change_succeeds()
    {
        string nowhere = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[0].Client.ChangeViewAsync($"{Cluster.ViewOf(0, 1)},{nowhere}");

        ApiAssert.Is(response, HttpStatusCode.ServiceUnavailable, ApiAssert.Error(
            $"Node {nowhere} of the new view is unreachable (connection refused); nothing was changed", "Error in PUT", address: nowhere));
        await AssertNothingChangedAsync(before);

        // The same through the other member, and with the unreachable node first in the view.
        KvsResponse again = await Cluster[1].Client.ChangeViewAsync($"{nowhere},{Cluster.ViewOf(1)}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.Status);
        Assert.Equal(nowhere, again.Field("address"));
        await AssertNothingChangedAsync(before);

        // A valid change still goes through (adding the idle node), and so does going back.
        long epoch = await ClusterProbe.EpochAsync(Cluster[0]);
        KvsResponse grow = await Cluster[0].Client.ChangeViewAsync(Cluster.ViewOf(0, 1, 2));
        Assert.True(grow.Status == HttpStatusCode.OK, grow.ToString());
        Assert.Equal([Cluster[0].Address, Cluster[1].Address, Cluster[2].Address], grow.Body["shards"]!.AsArray().Select(s => s!["address"]!.GetValue<string>()));
        await AssertSeededReadableAsync(Cluster.Nodes);
        KvsResponse shrink = await Cluster[1].Client.ChangeViewAsync(Cluster.ViewOf(0, 1));
        Assert.True(shrink.Status == HttpStatusCode.OK, shrink.ToString());
        (string View, long Epoch) after = await ClusterProbe.ViewAsync(Cluster[0]);
        Assert.Equal(Cluster.ViewOf(0, 1), after.View);
        Assert.True(after.Epoch > epoch, $"epoch {after.Epoch} after two changes from {epoch}");
        Assert.Equal(after, await ClusterProbe.ViewAsync(Cluster[1]));
        await AssertSeededReadableAsync([Cluster[0], Cluster[1]]);
        await Eventually.WaitUntilAsync(() => Task.FromResult(Cluster[2].Store.Count == 0), TimeSpan.FromSeconds(10), "the removed node to drop its copies");
    }

    [Fact]
    public async Task View_change_sent_to_an_idle_node_is_503_and_changes_nothing()
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[2].Client.ChangeViewAsync(Cluster.ViewOf(0, 1, 2));

        ApiAssert.Is(response, HttpStatusCode.ServiceUnavailable, ApiAssert.Error("Only a serving member of the current view can change the view", "Error in PUT"));
        await AssertNothingChangedAsync(before);
    }

    [Fact]
    public async Task Same_view_is_a_successful_no_op()
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await Cluster[1].Client.ChangeViewAsync(Cluster.ViewOf(0, 1));

        ApiAssert.Is(response, HttpStatusCode.OK, new JsonObject
        {
            ["message"] = "View change successful",
            ["shards"] = new JsonArray(
                new JsonObject { ["address"] = Cluster[0].Address, ["key-count"] = await Cluster[0].Client.KeyCountAsync() },
                new JsonObject { ["address"] = Cluster[1].Address, ["key-count"] = await Cluster[1].Client.KeyCountAsync() }),
        });
        await AssertNothingChangedAsync(before);
    }

    private async Task AssertNothingChangedAsync(string before)
    {
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await AssertSeededReadableAsync(Cluster.Nodes.Where(n => n.Snapshot.Status == NodeStatus.Serving));
    }

    private async Task AssertSeededReadableAsync(IEnumerable<TestNode> nodes)
    {
        TestNode[] readers = nodes.ToArray();
        int i = 0;
        foreach ((string key, string value) in fixture.Seeded)
        {
            await ApiAssert.HasValueAsync(readers[i++ % readers.Length].Client, key, value);
        }
    }
}
