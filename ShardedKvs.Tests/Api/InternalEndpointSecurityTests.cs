using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ShardedKvs.Node.Cluster;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Api;

/// <summary>
/// /internal/* answers only holders of the cluster key, and (except for the few calls a node outside
/// the view needs) only nodes of a view it knows. A refused call changes nothing: no key appears,
/// no view is adopted, no epoch moves.
/// </summary>
public sealed class InternalEndpointSecurityTests(ThreeNodeFixture fixture) : IClassFixture<ThreeNodeFixture>
{
    private const string Outsider = "10.255.255.1:9";

    private TestCluster Cluster => fixture.Cluster;

    /// <summary>Every internal endpoint, with a body that would change something if it were accepted.</summary>
    public static TheoryData<string, string, string?> Endpoints => new()
    {
        { "GET", "/internal/view", null },
        { "GET", "/internal/key-count", null },
        { "POST", "/internal/formation/join", """{"address":"10.255.255.1:9"}""" },
        { "POST", "/internal/view-change/prepare", """{"fromEpoch":1,"fromView":"VIEW","toEpoch":2,"toView":"10.255.255.1:9"}""" },
        { "POST", "/internal/view-change/migrate", """{"epoch":2,"view":"10.255.255.1:9"}""" },
        { "POST", "/internal/view-change/commit", """{"epoch":2,"view":"10.255.255.1:9"}""" },
        { "POST", "/internal/view-change/abort", """{"epoch":1,"view":"VIEW"}""" },
        { "POST", "/internal/migration/batch", """{"epoch":2,"source":"10.255.255.1:9","batchId":1,"entries":[{"key":"KEY","value":"planted"}]}""" },
        { "POST", "/internal/migration/discard", """{"epoch":2,"source":"10.255.255.1:9","batchId":1,"entries":[{"key":"KEY","value":"planted"}]}""" },
        { "PUT", "/internal/keys/KEY", "planted" },
        { "GET", "/internal/keys/KEY", null },
        { "DELETE", "/internal/keys/KEY", null },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task No_cluster_key_is_401_and_changes_nothing(string method, string path, string? body)
    {
        await AssertRefusedAsync(method, path, body, HttpStatusCode.Unauthorized, "Missing or wrong cluster key", [(PeerHeaders.Sender, Cluster[1].Address), (PeerHeaders.Epoch, "1")]);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Wrong_cluster_key_is_401_and_changes_nothing(string method, string path, string? body)
    {
        foreach (string wrong in new[] { "wrong", "", TestCluster.ClusterKey[..^1], TestCluster.ClusterKey + "x", TestCluster.ClusterKey.ToUpperInvariant() })
        {
            await AssertRefusedAsync(method, path, body, HttpStatusCode.Unauthorized, "Missing or wrong cluster key", [(PeerHeaders.ClusterKey, wrong), (PeerHeaders.Sender, Cluster[1].Address), (PeerHeaders.Epoch, "1")]);
        }
    }

    [Theory]
    [InlineData("POST", "/internal/formation/join", """{"address":"10.255.255.1:9"}""")]
    [InlineData("GET", "/internal/key-count", null)]
    [InlineData("POST", "/internal/view-change/migrate", """{"epoch":2,"view":"10.255.255.1:9"}""")]
    [InlineData("POST", "/internal/view-change/abort", """{"epoch":1,"view":"VIEW"}""")]
    [InlineData("POST", "/internal/migration/batch", """{"epoch":2,"source":"10.255.255.1:9","batchId":1,"entries":[{"key":"KEY","value":"planted"}]}""")]
    [InlineData("PUT", "/internal/keys/KEY", "planted")]
    [InlineData("GET", "/internal/keys/KEY", null)]
    [InlineData("DELETE", "/internal/keys/KEY", null)]
    public async Task Right_key_from_a_sender_outside_every_view_is_403_and_changes_nothing(string method, string path, string? body)
    {
        await AssertRefusedAsync(method, path, body, HttpStatusCode.Forbidden, $"Sender '{Outsider}' is not a member of a view this node knows", [(PeerHeaders.ClusterKey, TestCluster.ClusterKey), (PeerHeaders.Sender, Outsider), (PeerHeaders.Epoch, "1")]);
        await AssertRefusedAsync(method, path, body, HttpStatusCode.Forbidden, "Sender '' is not a member of a view this node knows", [(PeerHeaders.ClusterKey, TestCluster.ClusterKey), (PeerHeaders.Epoch, "1")]);
    }

    [Theory]
    [InlineData("POST", "/internal/view-change/commit", "")]
    [InlineData("POST", "/internal/view-change/commit", "{not json")]
    [InlineData("POST", "/internal/migration/batch", """{"epoch":"two"}""")]
    [InlineData("POST", "/internal/formation/join", "[]")]
    public async Task Cluster_key_is_checked_before_the_body_is_read(string method, string path, string body)
    {
        // An unauthenticated caller learns nothing about what the body should be, and the node does
        // no parsing work for it.
        await AssertRefusedAsync(method, path, body, HttpStatusCode.Unauthorized, "Missing or wrong cluster key", [(PeerHeaders.Sender, Cluster[1].Address)]);
    }

    [Fact]
    public async Task Right_key_and_a_member_sender_is_served()
    {
        // The control case: the same request the refusals above are about does work when it is allowed.
        string key = Keys.OwnedBy(Cluster[0], "internal-ok");
        using var client = new HttpClient { BaseAddress = Cluster[0].Client.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/internal/keys/{key}") { Content = new StringContent("direct") };
        request.Headers.Add(PeerHeaders.ClusterKey, TestCluster.ClusterKey);
        request.Headers.Add(PeerHeaders.Sender, Cluster[1].Address);
        request.Headers.Add(PeerHeaders.Epoch, "1");

        // A forwarded PUT's answer is lean: the status says what happened.
        using HttpResponseMessage put = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await ApiAssert.HasValueAsync(Cluster[2].Client, key, "direct");
    }

    private async Task AssertRefusedAsync(string method, string path, string? body, HttpStatusCode status, string error, (string Name, string Value)[] headers)
    {
        string key = Keys.OwnedBy(Cluster[0], "planted");
        string resolvedPath = path.Replace("KEY", key, StringComparison.Ordinal);
        string? resolvedBody = body?.Replace("KEY", key, StringComparison.Ordinal).Replace("VIEW", Cluster.InitialView, StringComparison.Ordinal);
        string before = await ClusterProbe.DescribeAsync(Cluster);

        KvsResponse response = await HeaderRequests.SendAsync(
            Cluster[0],
            new HttpMethod(method),
            resolvedPath,
            resolvedBody is null ? null : new StringContent(resolvedBody, Encoding.UTF8, "application/json"),
            headers);

        ApiAssert.Is(response, status, new JsonObject { ["error"] = error });
        Assert.Equal(before, await ClusterProbe.DescribeAsync(Cluster));
        await ApiAssert.IsMissingAsync(Cluster[1].Client, key);
    }
}
