using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ShardedKvs.Node.Cluster.Peers;
using ShardedKvs.Node.Cluster.Peers.Lanes;
using ShardedKvs.Node.Cluster.Requests;
using ShardedKvs.Node.Security;
using ShardedKvs.Tests.Infrastructure;

namespace ShardedKvs.Tests.Security;

/// <summary>Forwarding lanes and internal endpoints against forged, altered, stale, replayed and
/// foreign calls: refused, nothing changed.</summary>
public sealed class ClusterAuthTests : IClassFixture<ClusterAuthTests.TwoNodes>
{
    private readonly TestCluster _cluster;

    public ClusterAuthTests(TwoNodes fixture) => _cluster = fixture.Cluster;

    private string Member => _cluster[1].Address;

    [Fact]
    public async Task A_lane_opened_by_a_member_with_the_cluster_key_serves_forwarded_requests()
    {
        string key = OwnedBy(_cluster[0]);
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, TestCluster.ClusterKey);
        Assert.Equal(101, lane.Status);

        uint put = await lane.SendAsync(KeyOperation.Put, key, "v");
        uint get = await lane.SendAsync(KeyOperation.Get, key);

        Assert.Equal((put, OutcomeKind.Created, null, ""), await lane.ReadAnswerAsync());
        Assert.Equal((get, OutcomeKind.Found, "v", ""), await lane.ReadAnswerAsync());
        Assert.Equal("v", (await _cluster[1].Client.GetKeyAsync(key)).Field("value"));
    }

    [Fact]
    public async Task An_unsigned_lane_upgrade_is_refused()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, clusterKey: null);

        AssertRefused(lane, 401, "Missing cluster signature");
    }

    [Fact]
    public async Task A_lane_upgrade_signed_with_another_key_is_refused()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, "not-the-cluster-key-0123");

        AssertRefused(lane, 401, "Invalid cluster signature");
    }

    [Fact]
    public async Task A_signed_lane_upgrade_with_an_altered_nonce_is_refused()
    {
        string signed = RawLane.UpgradeRequest(_cluster[0].Address, Member, TestCluster.ClusterKey, DateTimeOffset.UtcNow, LaneHandshake.NewNonce());
        string altered = Regex.Replace(signed, "nonce=[0-9A-F]{32}", "nonce=" + LaneHandshake.NewNonce());

        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, TestCluster.ClusterKey, upgradeRequest: altered);

        AssertRefused(lane, 401, "Invalid cluster signature");
    }

    [Fact]
    public async Task A_captured_lane_upgrade_replayed_after_the_window_is_refused()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, TestCluster.ClusterKey, DateTimeOffset.UtcNow.AddMinutes(-2));

        AssertRefused(lane, 401, "Cluster signature is outside the time window");
    }

    [Fact]
    public async Task A_lane_upgrade_from_outside_every_view_is_refused()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], "127.0.0.1:1", TestCluster.ClusterKey);

        AssertRefused(lane, 403, "Sender '127.0.0.1:1' is not a member of a view this node knows");
    }

    [Fact]
    public async Task A_lane_upgrade_without_a_proper_nonce_is_refused()
    {
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, TestCluster.ClusterKey, nonce: "short");

        AssertRefused(lane, 400, "A lane opens with an upgrade to kvs-lane and a nonce of 32 hex digits");
    }

    [Fact]
    public async Task A_frame_with_a_wrong_mac_closes_the_lane_and_changes_nothing()
    {
        string key = OwnedBy(_cluster[0]);
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, TestCluster.ClusterKey);
        using var forged = new LaneMac(new byte[32]);

        await lane.SendAsync(KeyOperation.Put, key, "planted", mac: forged);

        Assert.Null(await lane.ReadAnswerAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _cluster[1].Client.GetKeyAsync(key)).Status);
    }

    [Fact]
    public async Task A_replayed_frame_closes_the_lane_and_is_not_applied_twice()
    {
        // Every frame's MAC covers its place in the lane's sequence: the same bytes sent again fail.
        string key = OwnedBy(_cluster[0]);
        await using RawLane lane = await RawLane.OpenAsync(_cluster[0], Member, TestCluster.ClusterKey);
        await lane.SendAsync(KeyOperation.Put, key, "first");
        Assert.Equal(OutcomeKind.Created, (await lane.ReadAnswerAsync())?.Kind);
        await lane.SendAsync(KeyOperation.Put, key, "second");
        Assert.Equal(OutcomeKind.Replaced, (await lane.ReadAnswerAsync())?.Kind);

        await lane.ResendLastAsync();

        Assert.Null(await lane.ReadAnswerAsync());
        Assert.Equal("second", (await _cluster[1].Client.GetKeyAsync(key)).Field("value"));
    }

    [Fact]
    public async Task A_captured_upgrade_replayed_within_the_window_gets_a_lane_whose_frames_it_cannot_sign()
    {
        string key = OwnedBy(_cluster[0]);
        await using RawLane original = await RawLane.OpenAsync(_cluster[0], Member, TestCluster.ClusterKey);
        string captured = original.UpgradeRequestSent;

        // The replayer has the captured bytes, not the cluster key: the best it can do is reuse the
        // original lane's frames, whose MACs are bound to the original's nonces.
        await using RawLane replayed = await RawLane.OpenAsync(_cluster[0], Member, clusterKey: null, upgradeRequest: captured);
        Assert.Equal(101, replayed.Status);
        Assert.NotEqual(original.AcceptorNonce, replayed.AcceptorNonce);
        await replayed.SendAsync(KeyOperation.Put, key, "planted", mac: original.Mac);

        Assert.Null(await replayed.ReadAnswerAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _cluster[1].Client.GetKeyAsync(key)).Status);
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

    private static void AssertRefused(RawLane lane, int status, string error)
    {
        Assert.Equal(status, lane.Status);
        Assert.Equal(error, lane.Error);
        Assert.Null(lane.AcceptorNonce);
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

        public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(nodes: 2, settings: RoundOne.Settings());

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
