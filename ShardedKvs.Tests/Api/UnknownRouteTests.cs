using System.Net;
using System.Text;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>Paths and methods the API does not have still answer in its JSON error shape.</summary>
public sealed class UnknownRouteTests(SingleNodeFixture fixture) : IClassFixture<SingleNodeFixture>
{
    private TestNode Node => fixture.Cluster[0];

    [Theory]
    [InlineData("GET", "/nope")]
    [InlineData("GET", "/kvs")]
    [InlineData("GET", "/kvs/")]
    [InlineData("PUT", "/kvs/key")]
    [InlineData("DELETE", "/kvs/keys-x/a")]
    [InlineData("GET", "/KVS/VIEWS")]
    [InlineData("POST", "/")]
    public async Task Unknown_path_is_404_json(string method, string path)
    {
        string before = await ClusterProbe.DescribeAsync(fixture.Cluster);

        KvsResponse response = await Node.Client.SendAsync(new HttpMethod(method), path, Body(method));

        ApiAssert.Is(response, HttpStatusCode.NotFound, ApiAssert.Error("No such endpoint", $"Error in {method}"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(fixture.Cluster));
    }

    [Theory]
    [InlineData("GET", "/internal")]
    [InlineData("GET", "/internal/nope")]
    [InlineData("POST", "/internal/view-change/nope")]
    public async Task Unsigned_calls_under_internal_learn_nothing_about_its_routes(string method, string path)
    {
        string before = await ClusterProbe.DescribeAsync(fixture.Cluster);

        KvsResponse response = await Node.Client.SendAsync(new HttpMethod(method), path, Body(method));

        ApiAssert.Is(response, HttpStatusCode.Unauthorized, new System.Text.Json.Nodes.JsonObject { ["error"] = "Missing cluster signature" });
        Assert.Equal(before, await ClusterProbe.DescribeAsync(fixture.Cluster));
    }

    [Theory]
    [InlineData("POST", "/kvs/keys/x")]
    [InlineData("PATCH", "/kvs/keys/x")]
    [InlineData("DELETE", "/kvs/key-count")]
    [InlineData("PUT", "/kvs/key-count")]
    [InlineData("GET", "/kvs/view-change")]
    [InlineData("POST", "/kvs/view-change")]
    [InlineData("DELETE", "/kvs/view")]
    public async Task Wrong_method_is_405_json_and_changes_nothing(string method, string path)
    {
        string before = await ClusterProbe.DescribeAsync(fixture.Cluster);

        KvsResponse response = await Node.Client.SendAsync(new HttpMethod(method), path, Body(method));

        ApiAssert.Is(response, HttpStatusCode.MethodNotAllowed, ApiAssert.Error("Method not allowed on this endpoint", $"Error in {method}"));
        Assert.Equal(before, await ClusterProbe.DescribeAsync(fixture.Cluster));
        await ApiAssert.IsMissingAsync(Node.Client, "x");
    }

    [Fact]
    public async Task Key_endpoints_answer_json_for_the_three_methods_they_have()
    {
        string key = Keys.Unique("route");

        Assert.Equal(HttpStatusCode.NotFound, (await Node.Client.GetKeyAsync(key)).Status);
        Assert.Equal(HttpStatusCode.Created, (await Node.Client.PutAsync(key, "v")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Node.Client.DeleteKeyAsync(key)).Status);
    }

    private static StringContent? Body(string method) =>
        method is "GET" or "DELETE" ? null : new StringContent("""{"value":"v","view":"h:1"}""", Encoding.UTF8, "application/json");
}
