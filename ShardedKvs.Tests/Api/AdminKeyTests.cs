using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>With ADMIN_KEY set, a view change needs it as a bearer token; key endpoints stay open.</summary>
public sealed class AdminKeyTests(AdminKeyFixture fixture) : IClassFixture<AdminKeyFixture>
{
    private const string Required = "Admin key required (Authorization: Bearer <ADMIN_KEY>)";

    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<string?> WrongAuthorizations =>
    [
        null,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        $"Bearer {AdminKeyFixture.AdminKey}x",
        $"Bearer {AdminKeyFixture.AdminKey[..^1]}",
        $"Bearer {AdminKeyFixture.AdminKey.ToUpperInvariant()}",
        $"Basic {AdminKeyFixture.AdminKey}",
        AdminKeyFixture.AdminKey,
        $"Bearer {TestCluster.ClusterKey}",
    ];

    [Theory]
    [MemberData(nameof(WrongAuthorizations))]
    public async Task View_change_without_the_admin_key_is_401_and_changes_nothing(string? authorization)
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        foreach (TestNode node in Cluster.Nodes)
        {
            KvsResponse response = await ChangeViewAsync(node, Cluster.ViewOf(0), authorization);
            ApiAssert.Is(response, HttpStatusCode.Unauthorized, ApiAssert.Error(Required, "Error in PUT"));
        }

        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task Admin_key_is_checked_before_the_body()
    {
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse invalid = await HeaderRequests.SendAsync(Cluster[0], HttpMethod.Put, "/kvs/view-change", new StringContent("{not json", Encoding.UTF8, "application/json"));
        KvsResponse malformed = await ChangeViewAsync(Cluster[0], "h", authorization: null);

        ApiAssert.Is(invalid, HttpStatusCode.Unauthorized, ApiAssert.Error(Required, "Error in PUT"));
        ApiAssert.Is(malformed, HttpStatusCode.Unauthorized, ApiAssert.Error(Required, "Error in PUT"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
    }

    [Fact]
    public async Task View_change_with_the_admin_key_succeeds()
    {
        string key = Keys.OwnedBy(Cluster[1], "admin-moved");
        Assert.Equal(HttpStatusCode.Created, (await Cluster[0].Client.PutAsync(key, "kept")).Status);
        long epoch = await ClusterProbe.EpochAsync(Cluster[0]);

        KvsResponse shrink = await ChangeViewAsync(Cluster[0], Cluster.ViewOf(0), $"Bearer {AdminKeyFixture.AdminKey}");
        await ApiAssert.HasValueAsync(Cluster[0].Client, key, "kept");
        KvsResponse grow = await ChangeViewAsync(Cluster[0], Cluster.ViewOf(0, 1), $"bearer  {AdminKeyFixture.AdminKey} ");

        Assert.True(shrink.Status == HttpStatusCode.OK, shrink.ToString());
        Assert.Equal("View change successful", shrink.Field("message"));
        Assert.True(grow.Status == HttpStatusCode.OK, grow.ToString());
        (string View, long Epoch) after = await ClusterProbe.ViewAsync(Cluster[0]);
        Assert.Equal(Cluster.ViewOf(0, 1), after.View);
        Assert.True(after.Epoch > epoch, $"epoch {after.Epoch} after two changes from {epoch}");
        Assert.Equal(after, await ClusterProbe.ViewAsync(Cluster[1]));
        await ApiAssert.HasValueAsync(Cluster[1].Client, key, "kept");
    }

    [Fact]
    public async Task Key_and_read_endpoints_stay_open()
    {
        string key = Keys.Unique("admin-open");

        ApiAssert.Is(await Cluster[0].Client.PutAsync(key, "open"), HttpStatusCode.Created, WithOwner(new JsonObject { ["message"] = "Added successfully", ["replaced"] = false }, key));
        await ApiAssert.HasValueAsync(Cluster[1].Client, key, "open");
        Assert.Equal(HttpStatusCode.OK, (await Cluster[1].Client.DeleteKeyAsync(key)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/view")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Cluster[0].Client.SendAsync(HttpMethod.Get, "/kvs/key-count")).Status);
    }

    private JsonObject WithOwner(JsonObject body, string key)
    {
        string owner = Keys.OwnerOf(Cluster[0], key);
        if (owner != Cluster[0].Address)
        {
            body["address"] = owner;
        }

        return body;
    }

    private static Task<KvsResponse> ChangeViewAsync(TestNode node, string view, string? authorization)
    {
        var content = new StringContent(new JsonObject { ["view"] = view }.ToJsonString(), Encoding.UTF8, "application/json");
        return authorization is null
            ? HeaderRequests.SendAsync(node, HttpMethod.Put, "/kvs/view-change", content)
            : HeaderRequests.SendAsync(node, HttpMethod.Put, "/kvs/view-change", content, ("Authorization", authorization));
    }
}
