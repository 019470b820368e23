using System.Globalization;
using System.Net;
using System.Text;
using ShardedKvs.Node.Cluster;
using ShardedKvs.Node.Security;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Security;

/// <summary>Internal endpoints against forged, altered, stale and foreign calls: refused, nothing changed.</summary>
public sealed class ClusterAuthTests : IClassFixture<ClusterAuthTests.TwoNodes>
{
    private readonly TestCluster _cluster;

    public ClusterAuthTests(TwoNodes fixture) => _cluster = fixture.Cluster;

    private string Member => _cluster[1].Address;

    [Fact]
    public async Task A_correctly_signed_forward_from_a_member_is_served()
    {
        string key = OwnedBy(_cluster[0]);
        using HttpRequestMessage request = Forward(key, "v", TestCluster.ClusterKey, Member, DateTimeOffset.UtcNow);

        using HttpResponseMessage response = await _cluster[0].Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("v", (await _cluster[1].Client.GetKeyAsync(key)).Field("value"));
    }

    [Fact]
    public async Task Unsigned_calls_are_refused()
    {
        string key = OwnedBy(_cluster[0]);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/internal/keys?key={key}") { Content = new StringContent("v") };
        request.Headers.Add(PeerHeaders.Sender, Member);
        request.Headers.Add(PeerHeaders.Epoch, "1");

        await AssertRefusedAsync(request, HttpStatusCode.Unauthorized, "Missing cluster signature", key);
    }

    [Fact]
    public async Task Calls_signed_with_another_key_are_refused()
    {
        string key = OwnedBy(_cluster[0]);
        using HttpRequestMessage request = Forward(key, "v", "not-the-cluster-key-0123", Member, DateTimeOffset.UtcNow);

        await AssertRefusedAsync(request, HttpStatusCode.Unauthorized, "Invalid cluster signature", key);
    }

    [Fact]
    public async Task A_signed_call_with_an_altered_body_is_refused()
    {
        string key = OwnedBy(_cluster[0]);
        using HttpRequestMessage request = Forward(key, "v", TestCluster.ClusterKey, Member, DateTimeOffset.UtcNow);
        request.Content = new StringContent("altered");

        await AssertRefusedAsync(request, HttpStatusCode.Unauthorized, "Invalid cluster signature", key);
    }

    [Fact]
    public async Task A_captured_call_replayed_after_the_window_is_refused()
    {
        string key = OwnedBy(_cluster[0]);
        using HttpRequestMessage request = Forward(key, "v", TestCluster.ClusterKey, Member, DateTimeOffset.UtcNow.AddMinutes(-2));

        await AssertRefusedAsync(request, HttpStatusCode.Unauthorized, "Cluster signature is outside the time window", key);
    }

    [Fact]
    public async Task A_signed_call_from_outside_every_view_is_refused()
    {
        string key = OwnedBy(_cluster[0]);
        using HttpRequestMessage request = Forward(key, "v", TestCluster.ClusterKey, "127.0.0.1:1", DateTimeOffset.UtcNow);

        await AssertRefusedAsync(request, HttpStatusCode.Forbidden, "Sender '127.0.0.1:1' is not a member of a view this node knows", key);
    }

    [Fact]
    public async Task A_forged_abort_changes_no_epoch()
    {
        long epoch = _cluster[0].Snapshot.Current.Epoch;
        byte[] body = Encoding.UTF8.GetBytes($$"""{"epoch":{{epoch}},"view":"{{_cluster.InitialView}}"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/internal/view-change/commit") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(PeerHeaders.Sender, Member);
        request.Headers.Add(PeerHeaders.Timestamp, "0");
        request.Headers.Add(PeerHeaders.Signature, "AAAA");

        using HttpResponseMessage response = await _cluster[0].Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(epoch, _cluster[0].Snapshot.Current.Epoch);
    }

    private async Task AssertRefusedAsync(HttpRequestMessage request, HttpStatusCode status, string error, string key)
    {
        int before = _cluster[0].Store.Count;
        using HttpResponseMessage response = await _cluster[0].Client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(error, System.Text.Json.Nodes.JsonNode.Parse(body)!["error"]!.GetValue<string>());
        Assert.DoesNotContain(TestCluster.ClusterKey, body, StringComparison.Ordinal);
        Assert.Equal(before, _cluster[0].Store.Count);
        Assert.Equal(HttpStatusCode.NotFound, (await _cluster[1].Client.GetKeyAsync(key)).Status);
    }

    private static HttpRequestMessage Forward(string key, string value, string clusterKey, string sender, DateTimeOffset signedAt)
    {
        byte[] body = Encoding.UTF8.GetBytes(value);
        string target = $"/internal/keys?key={Uri.EscapeDataString(key)}";
        string timestamp = signedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string signature = new ClusterKeys(clusterKey).Sign(new SignedFields("PUT", target, sender, "1", timestamp, body));
        var request = new HttpRequestMessage(HttpMethod.Put, target) { Content = new ByteArrayContent(body) };
        request.Headers.Add(PeerHeaders.Sender, sender);
        request.Headers.Add(PeerHeaders.Epoch, "1");
        request.Headers.Add(PeerHeaders.Timestamp, timestamp);
        request.Headers.Add(PeerHeaders.Signature, signature);
        return request;
    }

    private static string OwnedBy(TestNode node)
    {
        for (int i = 0; ; i++)
        {
            string key = $"auth-{Guid.NewGuid():N}-{i}";
            if (node.Snapshot.Current.Ring.OwnerOf(key) == node.Address)
            {
                return key;
            }
        }
    }

    public sealed class TwoNodes : IAsyncLifetime
    {
        public TestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(nodes: 2);

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
